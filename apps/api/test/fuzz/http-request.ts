import { request as httpRequest } from 'node:http';

/** What came back: status, content type and (at most `MAX_BODY` bytes of) the body. */
export interface RawReply {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

export interface RawRequest {
  readonly method: string;
  /** Path and query, already encoded (may hold invalid percent-escapes on purpose). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body?: Buffer;
}

const MAX_BODY = 1024 * 1024;

/**
 * One request over raw HTTP: fetch refuses some of the headers, bodies and paths the fuzzer
 * sends. Event streams are cut after their headers (they never end by themselves).
 */
export function sendRaw(baseUrl: string, request: RawRequest, timeoutMs = 20_000): Promise<RawReply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // A body always goes with its length: Node's client sends a GET body without either framing
    // header, and the server then (rightly) reads those bytes as the next request.
    const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(request.body.length) };
    const req = httpRequest({ host: url.hostname, port: url.port, method: request.method, path: request.path, headers, timeout: timeoutMs }, (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, contentType, text: '' });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
