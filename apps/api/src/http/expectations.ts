import type { Server } from 'node:http';
import { errorBody } from './error-body';

/**
 * Node answers a request whose `Expect` header it does not know (anything but `100-continue`)
 * with a bare 417 before the application sees it: no body, so not the API's error shape (the
 * fuzzer found it). This listener answers it in that shape instead.
 */
export function answerUnknownExpectations(server: Server): void {
  server.on('checkExpectation', (_request, response) => {
    const body = JSON.stringify(errorBody('EXPECTATION_FAILED', 'Only "Expect: 100-continue" is supported'));
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
}
