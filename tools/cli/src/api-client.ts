import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CommandFailed, UsageError } from './errors';

export const dataDir = (): string => resolve(process.env['CMK_DATA_DIR'] ?? './.data');

export interface ApiClientOptions {
  /** `--api-url`, else `CMK_API_URL`, else `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  /** Sent on every command (POST); a retry with the same key answers with the first result. */
  readonly idempotencyKey?: string;
}

/** The api's error body: `{ error: { code, message, details } }`. */
function describeFailure(status: number, body: unknown): string {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    const details = error.details && Object.keys(error.details).length > 0 ? ` ${JSON.stringify(error.details)}` : '';
    return `HTTP ${status} ${error.code}: ${String(error.message)}${details}`;
  }
  return `HTTP ${status}: ${typeof body === 'string' ? body.slice(0, 500) : JSON.stringify(body)}`;
}

/**
 * The CLI's HTTP client: bearer auth, an `Idempotency-Key` on every POST, the api's error body
 * turned into one line, and network failures that name the URL and what to check.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly idempotencyKey: string;

  constructor(
    options: ApiClientOptions,
    private readonly token: () => string,
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.idempotencyKey = options.idempotencyKey ?? randomUUID();
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** Opens a streaming GET (Server-Sent Events); the caller reads `body`. */
  async stream(path: string, signal?: AbortSignal): Promise<Response> {
    const response = await this.fetch(path, { method: 'GET', headers: { authorization: `Bearer ${this.token()}`, accept: 'text/event-stream' }, signal });
    if (!response.ok) throw new CommandFailed(describeFailure(response.status, await response.json().catch(() => undefined)));
    return response;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token()}` };
    if (method === 'POST') {
      headers['content-type'] = 'application/json';
      headers['idempotency-key'] = this.idempotencyKey;
    }
    const response = await this.fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let payload: unknown = text;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: reported as text
    }
    if (!response.ok) throw new CommandFailed(describeFailure(response.status, payload));
    return payload as T;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    try {
      return await fetch(url, init);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
      throw new CommandFailed(`cannot reach ${url} (${reason}): is the api running there? Start it with \`npm start\`, or point --api-url / CMK_API_URL at it`);
    }
  }
}

/** The operator token: `CMK_OPERATOR_TOKEN`, else the file `npm start` writes in `CMK_DATA_DIR`. */
export function operatorToken(): string {
  const fromEnv = process.env['CMK_OPERATOR_TOKEN'];
  if (fromEnv) return fromEnv;
  const file = join(dataDir(), 'operator-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new CommandFailed('no operator token: set CMK_OPERATOR_TOKEN (or run `npm start` once, which writes .data/operator-token)');
}

/** An org user's token for the org commands: `CMK_TOKEN` (never a flag: flags show in `ps`). */
export function userToken(): string {
  const token = process.env['CMK_TOKEN'];
  if (!token) throw new CommandFailed('no token: set CMK_TOKEN to an org admin token (`cmk token issue <org> <user> --role admin` prints one)');
  return token;
}

/** `--org`, else `CMK_ORG`. */
export function orgOf(flag: string | undefined, usage: string): string {
  const org = flag ?? process.env['CMK_ORG'];
  if (!org) throw new UsageError('--org is required (or set CMK_ORG)', usage);
  return org;
}
