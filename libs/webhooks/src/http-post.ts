import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './url-policy';

export interface PostResult {
  readonly statusCode: number;
}

/**
 * POSTs `body` to `url`, connecting only to the addresses the URL policy checked (a custom
 * `lookup` pins them, so a DNS answer that changes between check and connect cannot steer the
 * request elsewhere). TLS still verifies the certificate for the URL's host name. Redirects are
 * not followed: a 3xx is an answer like any other non-2xx. The response body is drained, not read.
 */
export function postJson(url: URL, addresses: readonly ResolvedAddress[], body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    const [first] = addresses;
    if ((options as { all?: boolean }).all) (callback as (err: null, all: { address: string; family: number }[]) => void)(null, addresses.map((a) => ({ ...a })));
    else callback(null, first.address, first.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        lookup: pinned,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'cmk-webhooks/1', ...headers },
        timeout: timeoutMs,
      },
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
