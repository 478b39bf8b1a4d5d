import { performance } from 'node:perf_hooks';
import { StsError } from './errors';
import { importJwks, type ImportedJwk, type JwkSet } from './jwt';
import { normalizeIssuer } from './roles';

interface Entry {
  readonly keys: readonly ImportedJwk[];
  readonly fetchedAt: number;
}

/**
 * JWKS per issuer, found the way AWS finds it: `<iss>/.well-known/openid-configuration`, then
 * its `jwks_uri`. Cached for `ttlMs` (monotonic time); concurrent misses share one fetch.
 * A token whose kid is unknown triggers `refresh`, so key rotation at the issuer is picked up.
 */
export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry>>();

  constructor(
    private readonly ttlMs: number,
    private readonly timeoutMs: number,
  ) {}

  async keys(issuer: string): Promise<readonly ImportedJwk[]> {
    const entry = this.entries.get(normalizeIssuer(issuer));
    if (entry && performance.now() - entry.fetchedAt < this.ttlMs) return entry.keys;
    return this.refresh(issuer);
  }

  async refresh(issuer: string): Promise<readonly ImportedJwk[]> {
    const id = normalizeIssuer(issuer);
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.fetchEntry(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return (await pending).keys;
  }

  private async fetchEntry(issuer: string): Promise<Entry> {
    const discovery = await this.fetchJson(`${issuer}/.well-known/openid-configuration`);
    const jwksUri = discovery.jwks_uri;
    if (typeof jwksUri !== 'string') throw communicationError();
    const jwks = await this.fetchJson(jwksUri);
    if (!Array.isArray(jwks.keys)) throw communicationError();
    const entry: Entry = { keys: importJwks(jwks as unknown as JwkSet), fetchedAt: performance.now() };
    this.entries.set(issuer, entry);
    return entry;
  }

  private async fetchJson(url: string): Promise<Record<string, unknown>> {
    if (!/^https?:\/\//.test(url)) throw communicationError();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      if (!response.ok) throw communicationError();
      const body: unknown = await response.json();
      if (typeof body !== 'object' || body === null) throw communicationError();
      return body as Record<string, unknown>;
    } catch (error) {
      if (error instanceof StsError) throw error;
      throw communicationError();
    }
  }
}

function communicationError(): StsError {
  return new StsError(
    'IDPCommunicationError',
    "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
  );
}
