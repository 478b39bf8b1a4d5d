import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEsdbEmulator, type EsdbEmulator } from '@cmk/esdb-emulator';
import { comparePositions, openEsdbEventStore, type EventStore } from '@cmk/eventstore';
import { orgKeyStoreUrlOf } from '../config';
import { createKeyProviders, type KeyProviders } from '../create-key-providers';
import { ORG_KEY_FILE } from './sqlite-org-key-store';
import { EsdbOrgKeyStore } from './esdb-org-key-store';

/**
 * On EventStoreDB the apps keep org platform keys in the same server (`EsdbOrgKeyStore`), chosen
 * from `EVENTSTORE_URL` as PostgreSQL's are. Those streams are not the log's: the event store
 * never shows them, so the head position every read-model wait uses is the log's own.
 */
describe('org platform keys on EventStoreDB, chosen from EVENTSTORE_URL', () => {
  let emulator: EsdbEmulator;
  let dir: string;
  let store: EventStore;
  let providers: KeyProviders;

  beforeAll(async () => {
    emulator = await startEsdbEmulator();
    dir = mkdtempSync(join(tmpdir(), 'cmk-esdb-orgkeys-'));
    store = await openEsdbEventStore({ url: emulator.url });
    providers = await createKeyProviders({ dataDir: dir, publicUrl: 'http://127.0.0.1:1', orgKeyStoreUrl: orgKeyStoreUrlOf(emulator.url) });
  });
  afterAll(async () => {
    providers?.close();
    await store?.close();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('selects the EventStoreDB store for an esdb:// URL, PostgreSQL for postgres://, SQLite otherwise', () => {
    expect(orgKeyStoreUrlOf(emulator.url)).toBe(emulator.url);
    expect(orgKeyStoreUrlOf('esdb+discover://cluster.example:2113')).toBe('esdb+discover://cluster.example:2113');
    expect(orgKeyStoreUrlOf('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(orgKeyStoreUrlOf(undefined)).toBeUndefined();
  });

  it('creates, rewraps and destroys org keys in the server, never in a SQLite file, and the log never shows them', async () => {
    await store.appendToStream('org-acme', [{ id: '6f1c2a3e-0000-4000-8000-000000000001', type: 'OrgCreated', data: { orgId: 'acme' }, metadata: {} }]);
    const head = await store.headPosition();

    const { generation } = await providers.orgKeys.forWrapping('acme');
    const direct = EsdbOrgKeyStore.open(emulator.url);
    try {
      expect(await direct.get('acme', generation)).toMatchObject({ status: 'live', generation: 1 });
      expect(existsSync(join(dir, ORG_KEY_FILE))).toBe(false);

      // Written after the log's last event, the org key streams move neither the head nor $all.
      expect(comparePositions(await store.headPosition(), head)).toBe(0);
      const streams = (await store.readAll()).map((event) => event.streamId);
      expect(streams).toEqual(['org-acme']);

      const subscription = store.subscribeToAll({ fromPosition: 'start' });
      const seen: string[] = [];
      for await (const item of subscription) {
        if (item.kind === 'event') seen.push(item.event.streamId);
        if (item.kind === 'caught-up') break;
      }
      await subscription.unsubscribe();
      expect(seen).toEqual(['org-acme']);

      await providers.orgKeys.destroy('acme', generation);
      expect(await direct.get('acme', generation)).toMatchObject({ status: 'destroyed' });
      expect(comparePositions(await store.headPosition(), head)).toBe(0);
    } finally {
      await direct.close();
    }
  });
});
