import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import express from 'express';
import fc from 'fast-check';
import { isPlainJsonBody, JSON_BODY_LIMIT_BYTES, readPlainJsonBody } from './plain-json-body';

type Outcome = { body: unknown } | { refused: string | undefined };

/** A request stream carrying `bytes` with a declared length and `type`. */
function requestOf(bytes: Buffer, type = 'application/json'): IncomingMessage {
  const stream = Readable.from([bytes]) as unknown as IncomingMessage;
  Object.assign(stream, { headers: { 'content-type': type, 'content-length': String(bytes.length) }, method: 'POST', url: '/' });
  return stream;
}

/** What the api's body parser (`express.json` with the api's limit) makes of `bytes`. */
function bodyParser(bytes: Buffer, type?: string): Promise<Outcome> {
  const parse = express.json({ limit: JSON_BODY_LIMIT_BYTES });
  const request = requestOf(bytes, type) as IncomingMessage & { body?: unknown };
  return new Promise((resolve) => {
    parse(request as never, {} as never, (error?: unknown) => resolve(error ? { refused: (error as { type?: string }).type } : { body: request.body }));
  });
}

/** What the lean path makes of the same bytes. */
function leanPath(bytes: Buffer, type?: string): Promise<Outcome> {
  return new Promise((resolve) => readPlainJsonBody(requestOf(bytes, type), (body, error) => resolve(error ? { refused: error.type } : { body })));
}

const cases: (string | Buffer)[] = [
  '{"scope":"s","values":["a"]}',
  '  \n\t{"a":1}',
  '\ufeff{"a":1}',
  '\ufeff \ufeff{"a":1}',
  '[1,2]',
  'null',
  'true',
  '"text"',
  '12e999',
  '{"a":',
  ' ',
  'hello',
  '{"__proto__":{"x":1},"constructor":{"prototype":{}}}',
  '{"a":"\\ud800"}',
  '\u00a0{"a":1}',
  '{"a":1} trailing',
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]),
  Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
];

describe('the lean path’s JSON body reader', () => {
  it.each(cases.map((body) => [JSON.stringify(body.toString()), body] as const))('reads %s like the body parser', async (_label, body) => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    expect(await leanPath(bytes)).toEqual(await bodyParser(bytes));
  });

  it('reads arbitrary JSON, text and bytes like the body parser', async () => {
    const texts = fc.oneof(
      fc.json().map((text) => Buffer.from(text, 'utf8')),
      fc.tuple(fc.constantFrom('', ' ', '\ufeff', '\n\t', '\u2028'), fc.json()).map(([prefix, text]) => Buffer.from(prefix + text, 'utf8')),
      fc.string({ unit: 'binary', minLength: 1 }).map((text) => Buffer.from(text, 'utf8')),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(texts, async (bytes) => {
        expect(await leanPath(bytes)).toEqual(await bodyParser(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('takes only plain JSON of a declared length within the limit, and leaves everything else to the body parser', () => {
    const plain = (headers: Record<string, string>) => isPlainJsonBody({ 'content-type': 'application/json', 'content-length': '10', ...headers });
    expect(plain({})).toBe(true);
    expect(plain({ 'content-type': 'application/json; charset=utf-8' })).toBe(true);
    expect(plain({ 'content-type': 'APPLICATION/JSON;CHARSET="UTF-8"' })).toBe(true);
    expect(plain({ 'content-length': String(JSON_BODY_LIMIT_BYTES) })).toBe(true);
    for (const type of ['text/plain', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/merge-patch+json', 'application/json; foo=bar', 'application/jsonx']) {
      expect({ type, plain: plain({ 'content-type': type }) }).toEqual({ type, plain: false });
    }
    expect(isPlainJsonBody({ 'content-length': '10' })).toBe(false);
    expect(isPlainJsonBody({ 'content-type': 'application/json' })).toBe(false);
    expect(plain({ 'content-length': '0' })).toBe(false);
    expect(plain({ 'content-length': String(JSON_BODY_LIMIT_BYTES + 1) })).toBe(false);
    expect(plain({ 'content-length': '1e3' })).toBe(false);
    expect(plain({ 'content-encoding': 'gzip' })).toBe(false);
    expect(plain({ 'content-encoding': 'identity' })).toBe(false);
    expect(plain({ 'transfer-encoding': 'chunked' })).toBe(false);
  });

  it('refuses a body the way the body parser does, so the error filter answers 400 INVALID_JSON', async () => {
    expect(await leanPath(Buffer.from('{"a":'))).toEqual({ refused: 'entity.parse.failed' });
    expect(await bodyParser(Buffer.from('{"a":'))).toEqual({ refused: 'entity.parse.failed' });
  });
});
