import { Inject, Injectable } from '@nestjs/common';
import { DigestKeyArchive, exportAudit, keyringAt, parseInstant, type ExportLine } from '@cmk/audit';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import type { OidcIssuer } from '@cmk/key-providers';
import type { KeyListDoc } from '@cmk/read-models';
import type { JWK } from 'jose';
import type { ApiConfig } from '../config';
import { API_CONFIG, OIDC_ISSUER } from '../tokens';

/** The audit slice's reads: exports, the digest JWKS, the key list at an instant. */
@Injectable()
export class AuditService {
  private readonly archive: DigestKeyArchive;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(OIDC_ISSUER) private readonly issuer: OidcIssuer,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.archive = new DigestKeyArchive(config.dataDir);
  }

  /** Every key that verifies a digest: today's OIDC keys and every key that ever signed one. */
  async digestKeys(): Promise<{ keys: JWK[] }> {
    const keys: JWK[] = [...(await this.archive.all())];
    for (const key of (await this.issuer.jwks()).keys) if (!keys.some((k) => k.kid === key.kid)) keys.push({ ...key });
    return { keys };
  }

  async export(orgId: string, since: string | undefined): Promise<AsyncGenerator<ExportLine>> {
    const sinceAt = since ? parseInstant('since', since) : undefined;
    const { keys } = await this.digestKeys();
    return exportAudit(this.store, orgId, { since: sinceAt, keys });
  }

  keyListAt(orgId: string, at: string): Promise<KeyListDoc> {
    return keyringAt(this.store, orgId, parseInstant('at', at));
  }
}
