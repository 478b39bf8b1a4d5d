import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { dataKeyCodec, dataKeyDecider, dataKeyStream, type DataKeyState, type KeyringState } from '@cmk/domain';
import { handleCommand, readState } from '@cmk/application';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { createKeyProviders, providerRequestFor, type KeyProviders } from '@cmk/key-providers';

/**
 * Test data for re-encryption runs: issues data keys under the org's current default through
 * the domain's command path (a real wrap by the real provider), and checks afterwards where each
 * one is wrapped and that it still unwraps to the same plaintext.
 */
export class DataKeyFixture {
  private readonly plaintexts = new Map<string, string>();

  private constructor(
    private readonly store: EventStore,
    readonly providers: KeyProviders,
  ) {}

  /** The same data dir and issuer as the apps; KMS/STS endpoints come from the SDK's env vars. */
  /** `store`: a client of the apps' event store (default: the SQLite file in `dataDir`). */
  /** `orgKeyStoreUrl`: the apps' PostgreSQL database or EventStoreDB server when they run on one (org platform keys live there). */
  static async open(dataDir: string, publicUrl: string, store?: EventStore, orgKeyStoreUrl?: string): Promise<DataKeyFixture> {
    store ??= await openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
    const providers = await createKeyProviders({ dataDir, publicUrl, aws: { maxAttempts: 3 }, throttleRetry: { retries: 10 }, orgKeyStoreUrl });
    return new DataKeyFixture(store, providers);
  }

  /** Issues `count` platform-wrapped data keys for `orgId`; returns their ids. */
  async issuePlatformKeys(orgId: string, count: number): Promise<string[]> {
    const platform = this.providers.registry.platformProvider;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const dataKeyId = `dk-${orgId}-${randomUUID().slice(0, 8)}-${i}`;
      const generated = await platform.generateDataKey({ org: orgId, dataKey: dataKeyId });
      this.plaintexts.set(dataKeyId, generated.plaintext.toString('base64'));
      const metadata = { actor: 'system', requestId: dataKeyId, correlationId: dataKeyId, causationId: dataKeyId, occurredAt: new Date().toISOString() };
      await handleCommand(this.store, dataKeyStream(dataKeyId), dataKeyDecider, dataKeyCodec, {
        type: 'IssueDataKey',
        data: { orgId, dataKeyId, scope: `env/${i % 7}`, wrappedBy: 'platform', kekRef: generated.kekRef, wrapped: generated.wrapped.toString('base64') },
        metadata,
      });
      ids.push(dataKeyId);
    }
    return ids;
  }

  async state(dataKeyId: string): Promise<DataKeyState> {
    return (await readState(this.store, dataKeyStream(dataKeyId), dataKeyDecider, dataKeyCodec)).state;
  }

  /** Where each data key is wrapped now: `{ wrappedBy → count }`. */
  async wrappedByCounts(ids: readonly string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const id of ids) {
      const state = await this.state(id);
      const by = state.status === 'issued' ? state.wrappedBy : 'missing';
      counts[by] = (counts[by] ?? 0) + 1;
    }
    return counts;
  }

  /** Unwraps every data key with the provider of its current key; returns the ids that fail or differ. */
  async unwrapFailures(orgId: string, keyring: KeyringState, ids: readonly string[]): Promise<string[]> {
    const bad: string[] = [];
    for (const id of ids) {
      const state = await this.state(id);
      if (state.status !== 'issued') {
        bad.push(id);
        continue;
      }
      const provider = this.providers.registry.providerFor(providerRequestFor(keyring, orgId, state.wrappedBy, state.kekRef));
      try {
        const plaintext = await provider.unwrap(Buffer.from(state.wrapped, 'base64'), { org: orgId, dataKey: id });
        if (plaintext.toString('base64') !== this.plaintexts.get(id)) bad.push(id);
      } catch {
        bad.push(id);
      }
    }
    return bad;
  }

  async close(): Promise<void> {
    this.providers.close();
    await this.store.close();
  }
}
