import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { kmsError } from '../errors';
import { DATA_KEY_BYTES, type KeyEncryptionProvider } from '../port';
import type { OrgKeyRecord, OrgPlatformKeyStore } from './org-key-store';

/** The encryption context an org key is wrapped under by the master key: bound to org and generation. */
export function orgKeyContext(orgId: string, generation: number) {
  return { org: orgId, dataKey: `org-platform-key-g${generation}` };
}

export interface OrgPlatformKeysOptions {
  /**
   * How long an unwrapped org key is reused in this process, default 5 000 ms. Saves a master
   * unwrap (a KMS call when the platform key is in KMS) per data key. After a destruction in
   * another process this replica may still unwrap for at most this long (always shorter than
   * the data-key cache TTL, which dominates the revocation latency anyway). Wrapping never
   * trusts it: the generation is checked live in the store first.
   */
  readonly cacheTtlMs?: number;
  readonly now?: () => Date;
  /**
   * The master key that opens an org key wrapped under `kekRef` when it is not the current one
   * (a previous KMS platform key after `CMK_PLATFORM_KMS_KEY_ARN` changed); undefined → `master`.
   * The local keyring needs none: it opens every version it still holds.
   */
  readonly masterFor?: (kekRef: string) => KeyEncryptionProvider | undefined;
}

/** An org key in plaintext, for one synchronous AES operation. The caller must not keep it. */
export interface OrgKey {
  readonly generation: number;
  readonly key: Buffer;
}

/**
 * The org platform keys of every org: creates a generation on first need, unwraps them with the
 * master key, and destroys them. One live generation per org at a time; a new one is created
 * only once every earlier one is destroyed (disable-all after an adoption).
 */
export class OrgPlatformKeys {
  private readonly cache: LRUCache<string, Buffer>;
  private readonly now: () => Date;
  private readonly masterFor: (kekRef: string) => KeyEncryptionProvider | undefined;

  constructor(
    readonly store: OrgPlatformKeyStore,
    /** The platform master key: local keyring or the operator's KMS key. */
    readonly master: KeyEncryptionProvider,
    options: OrgPlatformKeysOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.masterFor = options.masterFor ?? (() => undefined);
    this.cache = new LRUCache({ max: 10_000, ttl: options.cacheTtlMs ?? 5_000, dispose: (key) => key.fill(0) });
  }

  /** The org's live generation, created (generation = newest + 1) when there is none. */
  async forWrapping(orgId: string): Promise<OrgKey> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const newest = (await this.store.list(orgId)).at(-1);
      if (newest?.status === 'live') return { generation: newest.generation, key: await this.open(newest) };
      const generation = (newest?.generation ?? 0) + 1;
      const key = randomBytes(DATA_KEY_BYTES);
      try {
        const { wrapped, kekRef } = await this.master.wrap(key, orgKeyContext(orgId, generation));
        const created = await this.store.create({ orgId, generation, wrapped, kekRef, createdAt: this.now().toISOString() });
        if (created) {
          this.cache.set(cacheKey(orgId, generation), Buffer.from(key));
          return { generation, key: Buffer.from(key) };
        }
      } finally {
        key.fill(0);
      }
      // Another process created it first: read theirs.
    }
    throw new Error(`Could not settle the platform key generation of ${orgId}`);
  }

  /** The key of a generation for unwrapping; `PLATFORM_KEY_DESTROYED` once destroyed. */
  async forUnwrap(orgId: string, generation: number): Promise<Buffer> {
    const cached = this.cache.get(cacheKey(orgId, generation));
    if (cached) return Buffer.from(cached);
    const record = await this.store.get(orgId, generation);
    if (record?.status !== 'live') throw destroyed(orgId, generation);
    return this.open(record);
  }

  /** Whether new wraps under this generation are still safe to keep (read from the store, never the cache). */
  async isLive(orgId: string, generation: number): Promise<boolean> {
    return (await this.store.get(orgId, generation))?.status === 'live';
  }

  async generations(orgId: string): Promise<OrgKeyRecord[]> {
    return this.store.list(orgId);
  }

  /** Destroys a generation in the store and drops this process's cached copy. */
  async destroy(orgId: string, generation: number): Promise<void> {
    this.cache.delete(cacheKey(orgId, generation));
    await this.store.destroy(orgId, generation, this.now().toISOString());
  }

  /** Master rotation: rewraps a live generation under the master key's current version. */
  async rewrapToCurrentMaster(orgId: string, generation: number): Promise<boolean> {
    const record = await this.store.get(orgId, generation);
    if (record?.status !== 'live') return false;
    const key = await this.unwrapRecord(record);
    try {
      const { wrapped, kekRef } = await this.master.wrap(key, orgKeyContext(orgId, generation));
      if (kekRef === record.kekRef) return false;
      return await this.store.rewrap(orgId, generation, wrapped, kekRef);
    } finally {
      key.fill(0);
    }
  }

  private async open(record: OrgKeyRecord & { status: 'live' }): Promise<Buffer> {
    const key = await this.unwrapRecord(record);
    this.cache.set(cacheKey(record.orgId, record.generation), Buffer.from(key));
    return key;
  }

  private unwrapRecord(record: OrgKeyRecord & { status: 'live' }): Promise<Buffer> {
    return (this.masterFor(record.kekRef) ?? this.master).unwrap(record.wrapped, orgKeyContext(record.orgId, record.generation));
  }
}

function cacheKey(orgId: string, generation: number): string {
  return `${orgId}\n${generation}`;
}

function destroyed(orgId: string, generation: number) {
  return kmsError('PLATFORM_KEY_DESTROYED', 'The platform key that wrapped this data key was destroyed when the organization moved to its own keys.', {
    provider: 'platform',
    orgId,
    generation,
  });
}
