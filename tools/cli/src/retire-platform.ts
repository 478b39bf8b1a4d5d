import { join } from 'node:path';
import { dataKeyDecider, decodeDataKeyEvent, PLATFORM_KEY_ID, type DataKeyEvent } from '@cmk/domain';
import { openEsdbEventStore, openPostgresEventStore, openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { describeDependents, ORG_KEY_FILE, platformKekRef, PlatformMasterKeyring, PostgresOrgKeyStore, postgresUrlOrUndefined, SqliteOrgKeyStore, type OrgPlatformKeyStore } from '@cmk/key-providers';

/**
 * `keys retire-platform <version>`: removes a platform master key version only when nothing
 * depends on it, i.e. no live org platform key is wrapped by it and no data key's current
 * wrapped form is directly under it (a store written before org keys, not migrated yet).
 * Otherwise it refuses, naming what still does. Superseded copies in old events are not
 * dependents: once the version is gone they are noise, which is the point of retiring it.
 */
export async function retirePlatformVersion(dataDir: string, version: number, eventStoreUrl: string | undefined): Promise<{ retired: number; remaining: number[] }> {
  if (!Number.isInteger(version) || version < 1) throw new Error('usage: cli keys retire-platform <version> (a whole number)');
  const keyring = await PlatformMasterKeyring.open({ dataDir });
  if (!keyring.versionNumbers().includes(version)) throw new Error(`Platform key version ${version} is not in the keyring (versions: ${keyring.versionNumbers().join(', ')})`);
  const versions = keyring.versionNumbers();
  if (versions[versions.length - 1] === version) throw new Error(`Platform key version ${version} is the newest (it wraps everything new): rotate first`);
  const kekRef = platformKekRef(version);
  const postgresUrl = postgresUrlOrUndefined(eventStoreUrl);
  const orgKeys: OrgPlatformKeyStore = postgresUrl ? await PostgresOrgKeyStore.open({ url: postgresUrl }) : SqliteOrgKeyStore.open(join(dataDir, ORG_KEY_FILE));
  const store = postgresUrl
    ? await openPostgresEventStore({ url: postgresUrl })
    : eventStoreUrl
      ? await openEsdbEventStore({ url: eventStoreUrl })
      : await openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
  try {
    const dependents = {
      orgKeys: (await orgKeys.listLive()).filter((key) => key.kekRef === kekRef),
      dataKeys: await dataKeysDirectlyUnder(store, kekRef),
    };
    const refusal = describeDependents(kekRef, dependents);
    if (refusal) throw new Error(`Refusing to retire platform key version ${version}: ${refusal}.`);
    await keyring.retire(version);
    return { retired: version, remaining: keyring.versionNumbers() };
  } finally {
    await orgKeys.close();
    await store.close();
  }
}

/** Data keys whose current wrapped form is under the master key itself (`kekRef` `platform:v<N>`). */
async function dataKeysDirectlyUnder(store: EventStore, kekRef: string): Promise<Array<{ orgId: string; dataKeyId: string }>> {
  const byDataKey = new Map<string, DataKeyEvent[]>();
  for (const raw of await store.readAll()) {
    if (!raw.streamId.startsWith('datakey-')) continue;
    const event = decodeDataKeyEvent(raw);
    const events = byDataKey.get(event.data.dataKeyId) ?? [];
    events.push(event);
    byDataKey.set(event.data.dataKeyId, events);
  }
  const found: Array<{ orgId: string; dataKeyId: string }> = [];
  for (const [dataKeyId, events] of byDataKey) {
    const state = events.reduce(dataKeyDecider.evolve, dataKeyDecider.initialState());
    if (state.status === 'issued' && state.wrappedBy === PLATFORM_KEY_ID && state.kekRef === kekRef) found.push({ orgId: state.orgId, dataKeyId });
  }
  return found;
}
