import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import pinoHttp from 'pino-http';
import { requestLogOptions, requestLogWriter } from './request-logging';

/** A root logger like the api's (redaction included) writing JSON lines into `lines`. */
function rootInto(lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'info', base: { pid: 1 }, redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } }, sink);
}

function exchange(status: number, routed: { org?: string; route?: string }): { request: IncomingMessage; response: ServerResponse } {
  const request = new IncomingMessage(new Socket());
  request.method = 'POST';
  request.url = '/api/orgs/acme/secrets/encrypt';
  request.headers = { authorization: 'Bearer cmk.acme.secret', 'x-request-id': 'req-1', cookie: 'c=1' };
  if (routed.route) Object.assign(request, { route: { path: routed.route }, params: routed.org ? { org: routed.org } : {} });
  const response = new ServerResponse(request);
  response.statusCode = status;
  return { request, response };
}

const comparable = ({ time: _time, responseTime, msg, ...fields }: Record<string, unknown>) => ({ ...fields, responseTime: typeof responseTime, msg: String(msg).replace(/ \d+ ms$/, '') });

describe('the lean path’s request log line', () => {
  it.each([
    [200, { org: 'acme', route: '/api/orgs/:org/secrets/encrypt' }],
    [400, { org: 'acme', route: '/api/orgs/:org/secrets/decrypt' }],
    [429, { route: '/api/orgs/:org/secrets/encrypt' }],
    [500, { org: 'acme', route: '/api/orgs/:org/secrets/encrypt' }],
    [503, { org: 'acme', route: '/api/orgs/:org/secrets/decrypt' }],
    [502, { org: 'acme', route: '/api/orgs/:org/secrets/decrypt' }],
  ] as const)('is the line pino-http writes with the request log options (status %i)', (status, routed) => {
    const viaPinoHttp: Record<string, unknown>[] = [];
    const viaWriter: Record<string, unknown>[] = [];
    const middleware = pinoHttp(requestLogOptions(rootInto(viaPinoHttp)));
    const first = exchange(status, routed);
    middleware(first.request, first.response, () => undefined);
    first.response.emit('close');
    const second = exchange(status, routed);
    requestLogWriter(rootInto(viaWriter))(second.request, second.response, Date.now());
    expect(viaWriter).toHaveLength(1);
    expect(viaWriter.map(comparable)).toEqual(viaPinoHttp.map(comparable));
    expect(JSON.stringify(viaWriter)).not.toMatch(/cmk\.acme|c=1|authorization/);
  });
});
