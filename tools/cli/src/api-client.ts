import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createApiClient, type Client } from '@cmk/api-client';
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

/** What every generated operation answers (`@cmk/api-client`, hey-api's fetch client). */
interface TypedResult<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response?: Response;
}

/**
 * The CLI's view of the api: the typed client (`@cmk/api-client`, generated from the OpenAPI
 * document) with a fetch that adds an `Idempotency-Key` to every command and turns a network
 * failure into a message naming the URL and what to check; failures become one line from the
 * api's error body.
 */
export class ApiClient {
  readonly baseUrl: string;
  readonly client: Client;
  private readonly idempotencyKey: string;

  constructor(
    options: ApiClientOptions,
    private readonly token: () => string,
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.idempotencyKey = options.idempotencyKey ?? randomUUID();
    this.client = createApiClient({ baseUrl: this.baseUrl, fetch: (input, init) => this.fetch(input, init) });
  }

  /** Runs one typed operation (`(client) => keysList({ client, path })`) and returns its data. */
  async call<T>(operation: (client: Client) => Promise<TypedResult<T>>): Promise<T> {
    const result = await operation(this.client);
    if (result.error instanceof CommandFailed) throw result.error;
    if (!result.response) throw new CommandFailed(`request failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`);
    if (!result.response.ok) throw new CommandFailed(describeFailure(result.response.status, result.error));
    return result.data as T;
  }

  /** Opens a streaming GET (Server-Sent Events); the caller reads `body`. */
  async stream(path: string, signal?: AbortSignal): Promise<Response> {
    const response = await this.fetch(`${this.baseUrl}${path}`, { method: 'GET', headers: { accept: 'text/event-stream' }, signal });
    if (!response.ok) throw new CommandFailed(describeFailure(response.status, await response.json().catch(() => undefined)));
    return response;
  }

  private async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    request.headers.set('authorization', `Bearer ${this.token()}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('idempotency-key', this.idempotencyKey);
    try {
      return await fetch(request);
    } catch (error) {
      if (request.signal.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
      throw new CommandFailed(`cannot reach ${request.url} (${reason}): is the api running there? Start it with \`npm start\`, or point --api-url / CMK_API_URL at it`);
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
