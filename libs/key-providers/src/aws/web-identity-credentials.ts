import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { LRUCache } from 'lru-cache';
import type { OidcIssuer } from '../oidc/oidc-issuer';
import type { AwsClientPool, SessionCredentials } from './aws-client-pool';
import { mapStsFailure } from './aws-failures';

export interface WebIdentityCredentialOptions {
  /** `CMK_KMS_SESSION_SECONDS`: DurationSeconds asked of STS (900..43200; the role's max applies). Default 3600. */
  readonly sessionDurationSeconds?: number;
  /**
   * Renew this long before expiry, in ms, in the background while the current credentials keep
   * serving. Keep it above the SDK's own 5-minute expiry window. Default 600 000 (10 min).
   */
  readonly refreshAheadMs?: number;
  /** Below this much remaining validity a caller waits for new credentials, in ms. Default 60 000. */
  readonly minRemainingMs?: number;
  /** Cached (org, role) sessions. Default 10 000. */
  readonly maxEntries?: number;
  /** Clock in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

interface Entry {
  current?: SessionCredentials & { readonly expiration: Date };
  inFlight?: Promise<SessionCredentials & { readonly expiration: Date }>;
}

/**
 * Role sessions from `sts:AssumeRoleWithWebIdentity`, with a token from our issuer whose
 * audience is the organisation. One entry per (org, role): concurrent callers share one STS
 * call, and sessions are renewed ahead of expiry so the hot path never waits on STS.
 * Failed calls are not cached: an admin who fixes the trust policy can retry at once.
 */
export class WebIdentityCredentials {
  private readonly entries: LRUCache<string, Entry>;
  private readonly now: () => number;

  constructor(
    private readonly issuer: OidcIssuer,
    private readonly clients: AwsClientPool,
    private readonly options: WebIdentityCredentialOptions = {},
  ) {
    this.entries = new LRUCache({ max: options.maxEntries ?? 10_000 });
    this.now = options.now ?? Date.now;
  }

  /** A provider for the SDK's `credentials` option. */
  provider(orgId: string, roleArn: string, region: string): () => Promise<SessionCredentials> {
    return () => this.get(orgId, roleArn, region);
  }

  async get(orgId: string, roleArn: string, region: string): Promise<SessionCredentials> {
    const key = `${orgId}\n${roleArn}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {};
      this.entries.set(key, entry);
    }
    const remaining = entry.current ? entry.current.expiration.getTime() - this.now() : 0;
    if (entry.current && remaining > (this.options.refreshAheadMs ?? 600_000)) return entry.current;
    const renewal = this.renew(entry, orgId, roleArn, region);
    if (entry.current && remaining > (this.options.minRemainingMs ?? 60_000)) {
      // Renew in the background; a failure here surfaces on a later, blocking renewal.
      renewal.catch(() => undefined);
      return entry.current;
    }
    return renewal;
  }

  /**
   * A session assumed now and not cached (shortest duration): the health probe must prove the
   * trust policy still admits us, which a cached session would hide for up to its lifetime.
   */
  assumeUncached(orgId: string, roleArn: string, region: string): Promise<SessionCredentials> {
    return this.assume(orgId, roleArn, region, 900);
  }

  /** Drops the cached session, e.g. after KMS rejected it. */
  invalidate(orgId: string, roleArn: string): void {
    this.entries.delete(`${orgId}\n${roleArn}`);
  }

  private renew(entry: Entry, orgId: string, roleArn: string, region: string): Promise<SessionCredentials & { readonly expiration: Date }> {
    entry.inFlight ??= this.assume(orgId, roleArn, region).then(
      (credentials) => {
        entry.current = credentials;
        entry.inFlight = undefined;
        return credentials;
      },
      (error: unknown) => {
        entry.inFlight = undefined;
        throw error;
      },
    );
    return entry.inFlight;
  }

  private async assume(orgId: string, roleArn: string, region: string, durationSeconds?: number): Promise<SessionCredentials & { readonly expiration: Date }> {
    const expected = this.issuer.expectationsFor(orgId);
    const token = await this.issuer.mintToken(orgId);
    try {
      const out = await this.clients.stsClient(region).send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          // Shows up in the customer's CloudTrail: say who is calling and for which org.
          RoleSessionName: `cmk-${orgId}`.slice(0, 64),
          WebIdentityToken: token,
          DurationSeconds: durationSeconds ?? this.options.sessionDurationSeconds ?? 3600,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw Object.assign(new Error('STS answered without credentials'), { name: 'InternalFailure' });
      }
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    } catch (error) {
      throw mapStsFailure(error, roleArn, expected);
    }
  }
}
