import { createHash } from 'node:crypto';
import {
  ANY,
  EventStoreDBClient,
  jsonEvent,
  NO_STREAM,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { NewOrgKey, OrgKeyRecord, OrgKeyRef, OrgPlatformKeyStore } from './org-key-store';

// Every stream name begins with `orgplatformkey`: the event store adapter hides such streams from
// the log (`isSystemStream` in libs/eventstore/src/esdb/esdb-mapping.ts).
const keyStream = (orgId: string, generation: number) => `orgplatformkey-${orgId}-g${generation}`;
const orgIndexStream = (orgId: string) => `orgplatformkeys-${orgId}`;
/** Orgs that ever had an org key (for `listLive`): ids only, no key bytes. */
const ALL_ORGS_STREAM = 'orgplatformkeys-index';

type KeyEventData = { wrapped: string; kekRef: string; createdAt?: string };

/** A UUID derived from a name, so re-appending the same fact is idempotent. */
function idOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Org platform keys on EventStoreDB: one stream per generation (`orgplatformkey-<org>-g<N>`),
 * **hard-deleted** (tombstoned) to destroy it, so the name can never be reused and reads answer
 * "stream deleted". A tombstone only hides the events: the server removes their bytes from its
 * chunk files at the next **scavenge** (`POST /admin/scavenge`, or scheduled), so an operator on
 * EventStoreDB must run scavenges for destruction to reach the disk (and backups older than it
 * still hold the wrapped org key until they expire; see docs/architecture.md § 6f). The org's
 * index stream records each destruction's time (no key bytes); one index of org ids serves
 * `listLive`.
 */
export class EsdbOrgKeyStore implements OrgPlatformKeyStore {
  private constructor(private readonly client: EventStoreDBClient) {}

  static open(url: string): EsdbOrgKeyStore {
    return new EsdbOrgKeyStore(EventStoreDBClient.connectionString(url));
  }

  async create(key: NewOrgKey): Promise<boolean> {
    // Index first: a crash after it leaves an org listed with no key, never a key nobody lists.
    await this.client.appendToStream(ALL_ORGS_STREAM, jsonEvent({ id: idOf(`org:${key.orgId}`), type: 'OrgKeyed', data: { orgId: key.orgId } }), { expectedRevision: ANY });
    try {
      const data: KeyEventData = { wrapped: key.wrapped.toString('base64'), kekRef: key.kekRef, createdAt: key.createdAt };
      await this.client.appendToStream(keyStream(key.orgId, key.generation), jsonEvent({ type: 'OrgPlatformKeyCreated', data }), { expectedRevision: NO_STREAM });
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError || error instanceof StreamDeletedError) return false;
      throw error;
    }
  }

  async get(orgId: string, generation: number): Promise<OrgKeyRecord | undefined> {
    let events: ResolvedEvent[];
    try {
      events = await this.readAll(keyStream(orgId, generation));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      if (error instanceof StreamDeletedError) return { status: 'destroyed', orgId, generation, destroyedAt: await this.destroyedAt(orgId, generation) };
      throw error;
    }
    const created = events[0]?.event?.data as KeyEventData | undefined;
    const latest = events.at(-1)?.event?.data as KeyEventData | undefined;
    if (!created || !latest) return undefined;
    return { status: 'live', orgId, generation, wrapped: Buffer.from(latest.wrapped, 'base64'), kekRef: latest.kekRef, createdAt: created.createdAt ?? '' };
  }

  async list(orgId: string): Promise<OrgKeyRecord[]> {
    // Generations are dense from 1 (each is created as newest + 1), and few.
    const records: OrgKeyRecord[] = [];
    for (let generation = 1; ; generation += 1) {
      const record = await this.get(orgId, generation);
      if (!record) return records;
      records.push(record);
    }
  }

  async destroy(orgId: string, generation: number, destroyedAt: string): Promise<void> {
    const fact = jsonEvent({ id: idOf(`destroyed:${orgId}:${generation}`), type: 'GenerationDestroyed', data: { generation, destroyedAt } });
    await this.client.appendToStream(orgIndexStream(orgId), fact, { expectedRevision: ANY });
    try {
      await this.client.tombstoneStream(keyStream(orgId, generation), { expectedRevision: ANY });
    } catch (error) {
      if (!(error instanceof StreamDeletedError)) throw error;
    }
  }

  async rewrap(orgId: string, generation: number, wrapped: Buffer, kekRef: string): Promise<boolean> {
    const stream = keyStream(orgId, generation);
    let events: ResolvedEvent[];
    try {
      events = await this.readAll(stream);
    } catch (error) {
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return false;
      throw error;
    }
    const revision = events.at(-1)?.event?.revision;
    if (revision === undefined) return false;
    try {
      const data: KeyEventData = { wrapped: wrapped.toString('base64'), kekRef };
      await this.client.appendToStream(stream, jsonEvent({ type: 'OrgPlatformKeyRewrapped', data }), { expectedRevision: revision });
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError || error instanceof StreamDeletedError) return false;
      throw error;
    }
  }

  async listLive(): Promise<OrgKeyRef[]> {
    let orgs: string[];
    try {
      orgs = (await this.readAll(ALL_ORGS_STREAM)).map((e) => (e.event?.data as { orgId: string }).orgId);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    const live: OrgKeyRef[] = [];
    for (const orgId of [...new Set(orgs)].sort()) {
      for (const record of await this.list(orgId)) {
        if (record.status === 'live') live.push({ orgId, generation: record.generation, kekRef: record.kekRef });
      }
    }
    return live;
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private async destroyedAt(orgId: string, generation: number): Promise<string> {
    const facts = await this.readAll(orgIndexStream(orgId)).catch(() => [] as ResolvedEvent[]);
    const fact = facts.map((e) => e.event?.data as { generation: number; destroyedAt: string }).find((d) => d.generation === generation);
    return fact?.destroyedAt ?? '';
  }

  private async readAll(stream: string): Promise<ResolvedEvent[]> {
    const events: ResolvedEvent[] = [];
    for await (const event of this.client.readStream(stream)) events.push(event);
    return events;
  }
}
