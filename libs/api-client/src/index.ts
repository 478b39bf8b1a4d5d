/// <reference lib="dom" />
// The generated fetch client names DOM types (BodyInit, RequestInit); Node 20+ has them at runtime.
/**
 * The typed client of the Customer Managed Keys API, generated from its OpenAPI document during
 * `npm run build` (into `./generated`, never edited by hand, never committed). This file only
 * re-exports it and adds a constructor that binds a base URL and a bearer token.
 */
import { createClient, createConfig, type Client } from './generated/client';

export * from './generated/sdk.gen';
export type * from './generated/types.gen';
export type { Client } from './generated/client';

export interface ApiClientOptions {
  /** `http://127.0.0.1:3000`; empty for same-origin requests from the console. */
  readonly baseUrl: string;
  /** An org access token or the operator token; sent only in the Authorization header. */
  readonly token?: string;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

/** A client bound to one server and one token (pass it as `client` to any operation). */
export function createApiClient(options: ApiClientOptions): Client {
  return createClient(
    createConfig({
      baseUrl: options.baseUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {}),
    }),
  );
}
