import type { ArgumentsHost } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/principal';
import { commandContextOf, requestIdOf } from './command-context';
import { EventStoreUnavailableError } from '@cmk/eventstore';
import { ErrorFilter } from './error.filter';

const request = (headers: Record<string, string>) => ({ headers, method: 'POST', path: '/x' }) as unknown as AuthenticatedRequest;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('keeps a plain client request id and uses it for correlation', () => {
    const { metadata } = commandContextOf(request({ 'x-request-id': 'req-123.a:b_c' }));
    expect(metadata).toMatchObject({ requestId: 'req-123.a:b_c', correlationId: 'req-123.a:b_c', causationId: 'req-123.a:b_c' });
  });

  it.each(['r'.repeat(129), 'has space', 'ünïcode', '<script>', 'a\tb'])('replaces a hostile X-Request-Id %j instead of storing it in events', (value) => {
    const { metadata } = commandContextOf(request({ 'x-request-id': value, 'x-correlation-id': value }));
    expect(metadata.requestId).toMatch(UUID);
    expect(metadata.correlationId).toBe(metadata.requestId);
  });

  it('builds the metadata on first read, timed when the request was accepted, and keeps it', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 10, 30, 12, 0, 0, 123));
    try {
      const req = { ...request({ 'x-request-id': 'req-lazy', 'x-correlation-id': 'corr-1' }), principal: { kind: 'user', org: 'acme', user: 'ada', role: 'admin', tokenId: 'tok-1' } } as unknown as AuthenticatedRequest;
      const ctx = commandContextOf(req);
      now.mockReturnValue(Date.UTC(2026, 10, 30, 12, 0, 5));
      expect(ctx.metadata).toEqual({ actor: 'user:ada', tokenId: 'tok-1', requestId: 'req-lazy', correlationId: 'corr-1', causationId: 'req-lazy', occurredAt: '2026-11-30T12:00:00.123Z' });
      expect(ctx.metadata).toBe(ctx.metadata);
      expect(JSON.parse(JSON.stringify(ctx))).toEqual({ metadata: ctx.metadata });
    } finally {
      now.mockRestore();
    }
  });

  it('refuses a bad Idempotency-Key at once, before any metadata is read', () => {
    expect(() => commandContextOf(request({ 'idempotency-key': 'has space' }))).toThrow(/Idempotency-Key/);
  });

  it('gives a 500 the same request id the events got, generated when the client sent none', () => {
    const req = request({});
    const id = requestIdOf(req);
    expect(id).toMatch(UUID);
    expect(commandContextOf(req).metadata.requestId).toBe(id);
    let sent: unknown;
    const response = { headersSent: false, status: () => response, type: () => response, json: (body: unknown) => (sent = body) };
    const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => response }) } as unknown as ArgumentsHost;
    const filter = new ErrorFilter();
    (filter as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
    filter.catch(new Error('boom at /work/secret/path.js:1'), host);
    expect(sent).toEqual({ error: { code: 'INTERNAL', message: 'Something went wrong on our side', details: { requestId: id } } });
  });

  it('answers an event store outage with 503 EVENT_STORE_UNAVAILABLE, not a conflict and not a 500', () => {
    const req = request({ 'x-request-id': 'req-outage' });
    let status = 0;
    let sent: unknown;
    const response = { headersSent: false, status: (code: number) => ((status = code), response), type: () => response, json: (body: unknown) => (sent = body) };
    const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => response }) } as unknown as ArgumentsHost;
    const filter = new ErrorFilter();
    (filter as unknown as { logger: { warn: () => void } }).logger = { warn: () => undefined };
    filter.catch(new EventStoreUnavailableError('PostgreSQL event store unavailable: appending to x failed 5 times (ECONNREFUSED)'), host);
    expect(status).toBe(503);
    expect(sent).toEqual({ error: { code: 'EVENT_STORE_UNAVAILABLE', message: 'The event store is unavailable; retry with the same Idempotency-Key', details: { requestId: 'req-outage' } } });
  });
});
