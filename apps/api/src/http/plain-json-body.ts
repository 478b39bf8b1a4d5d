import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** The api's JSON body limit (`app.useBodyParser('json', { limit })` in `main.ts`). */
export const JSON_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** `application/json`, alone or with `charset=utf-8` (any case, optional quotes and spaces). */
const PLAIN_JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*("utf-8"|utf-8)\s*)?$/i;

/**
 * Whether a request's body is the plain case that `readPlainJsonBody` handles exactly like the
 * api's body parser (body-parser's `json()`): JSON in UTF-8 with no content coding and a
 * declared length between 1 byte and the limit. Anything else — other types and charsets,
 * gzip, chunked or empty bodies, oversized ones — is left to the body parser itself, which
 * has its own answers (415, 413, `{}` for an empty body, inflating) for each.
 */
export function isPlainJsonBody(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  if (type === undefined || !PLAIN_JSON_TYPE.test(type)) return false;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  if (length === undefined || !/^[0-9]{1,7}$/.test(length)) return false;
  const bytes = Number(length);
  return bytes > 0 && bytes <= JSON_BODY_LIMIT_BYTES;
}

/**
 * A body the api could not parse, tagged like body-parser's own refusal so that the error
 * filter answers it the same: 400 `INVALID_JSON`.
 */
export class JsonBodyParseError extends Error {
  readonly type = 'entity.parse.failed';
  readonly status = 400;
}

/** JSON's whitespace: space, tab, line feed, carriage return (and nothing else, unlike `\s`). */
const FIRST_NON_WHITESPACE = /^[ \t\n\r]*(.)/s;

/**
 * What body-parser's strict `json()` makes of a UTF-8 text: a leading byte-order mark dropped
 * (its decoder does that), only an object or an array at the top, `JSON.parse` otherwise.
 */
export function parseJsonText(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return {};
  const first = body[0] === '{' || body[0] === '[' ? body[0] : FIRST_NON_WHITESPACE.exec(body)?.[1];
  if (first !== '{' && first !== '[') throw new JsonBodyParseError('The request body is not a JSON object or array');
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new JsonBodyParseError('The request body is not valid JSON');
  }
}

/**
 * Reads and parses a body for which `isPlainJsonBody` holds. Node's HTTP parser delivers
 * exactly the declared length, which is within the limit. `onBody` gets the parsed value or a
 * `JsonBodyParseError`; nothing is called when the client goes away mid-body (nobody is left to
 * answer).
 */
export function readPlainJsonBody(request: IncomingMessage, onBody: (body: unknown, error?: JsonBodyParseError) => void): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.once('end', () => {
    const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
    let body: unknown;
    try {
      body = parseJsonText(text);
    } catch (error) {
      onBody(undefined, error as JsonBodyParseError);
      return;
    }
    onBody(body);
  });
}
