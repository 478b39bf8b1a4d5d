/**
 * Where org platform keys live: the one piece of platform key material that must be destroyable.
 *
 * Every org's platform-wrapped data keys are wrapped by that org's own platform key (one live
 * generation at a time), itself wrapped by the platform master key (or the operator's KMS key).
 * Destroying the org key turns every platform-wrapped copy of that org's data keys, in every old
 * event, export or backup of the event store, into noise. The event log can therefore never hold
 * these keys (it never forgets); an adapter of this port must be able to really forget:
 * SQLite with `secure_delete` and a WAL checkpoint, EventStoreDB with a hard-deleted stream
 * (plus a scavenge), PostgreSQL with a deleted row (plus VACUUM). `testing/org-key-store-contract`
 * is the suite every adapter runs.
 *
 * Records never carry plaintext: `wrapped` is the org key under the master key named by `kekRef`.
 */
export interface LiveOrgKey {
  readonly status: 'live';
  readonly orgId: string;
  readonly generation: number;
  /** The org key wrapped by the master key `kekRef` (`platform:v<N>` or a KMS key ARN). */
  readonly wrapped: Buffer;
  readonly kekRef: string;
  readonly createdAt: string;
}

/** A destroyed generation: its number stays taken so generations only grow. No key bytes. */
export interface DestroyedOrgKey {
  readonly status: 'destroyed';
  readonly orgId: string;
  readonly generation: number;
  readonly destroyedAt: string;
}

export type OrgKeyRecord = LiveOrgKey | DestroyedOrgKey;

export interface OrgKeyRef {
  readonly orgId: string;
  readonly generation: number;
  readonly kekRef: string;
}

export interface NewOrgKey {
  readonly orgId: string;
  readonly generation: number;
  readonly wrapped: Buffer;
  readonly kekRef: string;
  readonly createdAt: string;
}

export interface OrgPlatformKeyStore {
  /**
   * Creates generation `generation` of the org's key. Returns `false` (writing nothing) when that
   * generation already exists, live or destroyed: concurrent creators race and the loser reads.
   */
  create(key: NewOrgKey): Promise<boolean>;
  get(orgId: string, generation: number): Promise<OrgKeyRecord | undefined>;
  /** Every generation of the org, oldest first. */
  list(orgId: string): Promise<OrgKeyRecord[]>;
  /**
   * Forgets the key bytes of a generation for good (idempotent). Resolves only once the bytes
   * are gone from the adapter's live files (not from backups: see docs/architecture.md).
   */
  destroy(orgId: string, generation: number, destroyedAt: string): Promise<void>;
  /** Master key rotation: the same org key wrapped anew. `false` when the generation is not live. */
  rewrap(orgId: string, generation: number, wrapped: Buffer, kekRef: string): Promise<boolean>;
  /**
   * Every live generation of every org with the master key that wraps it (no key bytes): what
   * master rotation rewraps and what still depends on a master key version. Org keys are few
   * (one live per org), so this is a full list.
   */
  listLive(): Promise<OrgKeyRef[]>;
  close(): Promise<void>;
}
