import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** One readiness check: resolves when the dependency answers (its detail, if any), rejects otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export interface ProbeServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  readonly metricsToken?: string;
  /** How long a readiness check may take before it counts as failed. Default 2 000 ms. */
  readonly checkTimeoutMs?: number;
}

async function runCheck(name: string, probe: ReadinessCheck, timeoutMs: number): Promise<{ name: string; ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const detail = await Promise.race([probe(), timeout]);
    return { name, ok: true, ...(typeof detail === 'string' ? { detail } : {}) };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : 'failed' };
  } finally {
    clearTimeout(timer);
  }
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

function authorized(request: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

/**
 * The worker's own small HTTP port (`CMK_WORKER_HTTP_PORT`) so an orchestrator can probe it:
 * `/healthz` (the process runs; touches nothing), `/readyz` (its dependencies answer within the
 * timeout: 200 or 503 with each check) and `/metrics` (this process's Prometheus registry).
 * Plain `node:http`: three GET routes do not need a framework in the worker.
 */
export async function startProbeServer(options: ProbeServerOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, 'application/json', JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: 'Only GET', details: {} } }));
    }
    if (path === '/healthz') return send(response, 200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      void Promise.all(Object.entries(options.checks).map(([name, probe]) => runCheck(name, probe, timeoutMs))).then((checks) => {
        const ready = checks.every((check) => check.ok);
        send(response, ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'unavailable', checks }));
      });
      return;
    }
    if (path === '/metrics') {
      if (!authorized(request, options.metricsToken)) {
        return send(response, 401, 'application/json', JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'The metrics token is required', details: {} } }));
      }
      void options.registry.metrics().then(
        (text) => send(response, 200, options.registry.contentType, text),
        () => send(response, 500, 'application/json', JSON.stringify({ error: { code: 'INTERNAL', message: 'Metrics collection failed', details: {} } })),
      );
      return;
    }
    send(response, 404, 'application/json', JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No such route (/healthz, /readyz, /metrics)', details: {} } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
