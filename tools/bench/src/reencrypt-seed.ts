import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { dataKeyStream, encodeDataKeyEvent } from '@cmk/domain';
import type { EventStore, Position } from '@cmk/eventstore';
import { LocalPlatformKeyProvider, ORG_KEY_FILE, OrgPlatformKeyProvider, OrgPlatformKeys, PlatformMasterKeyring, SqliteOrgKeyStore, type OrgPlatformKeyStore } from '@cmk/key-providers';

/** Appends in flight while seeding: the store's group commit (SQLite or PostgreSQL) shares one fsync among them. */
const SEED_LANES = 256;

/**
 * Issues `count` platform-wrapped (org platform key) data keys for `orgId` as `DataKeyIssued` events through the
 * normal port (one stream per data key, `expectedRevision: no_stream`), with many appends in
 * flight so the store's group commit batches them; one append at a time is fsync-bound and makes
 * seeding a million keys take far longer than re-encrypting them. Closes `store`.
 */
export async function seedDataKeys(
  store: EventStore,
  dataDir: string,
  orgId: string,
  count: number,
  onProgress?: (seeded: number) => void,
  orgKeyStore: OrgPlatformKeyStore = SqliteOrgKeyStore.open(join(dataDir, ORG_KEY_FILE)),
): Promise<Position> {
  // As the product wraps them today: under the org's platform key (generation 1), itself under the master key.
  const platform = new OrgPlatformKeyProvider(orgId, new OrgPlatformKeys(orgKeyStore, new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir }))));
  const occurredAt = new Date().toISOString();
  let next = 0;
  let seeded = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const dataKeyId = `dk-${orgId}-${i}`;
      const key = await platform.generateDataKey({ org: orgId, dataKey: dataKeyId });
      const event = encodeDataKeyEvent({
        type: 'DataKeyIssued',
        data: { orgId, dataKeyId, scope: `env/${i % 50}`, wrappedBy: 'platform', kekRef: key.kekRef, wrapped: key.wrapped.toString('base64') },
        metadata: { actor: 'system', requestId: dataKeyId, correlationId: dataKeyId, causationId: dataKeyId, occurredAt },
      });
      key.plaintext.fill(0);
      await store.appendToStream(dataKeyStream(dataKeyId), [{ id: randomUUID(), ...event }], { expectedRevision: 'no_stream' });
      seeded += 1;
      if (onProgress && seeded % 100_000 === 0) onProgress(seeded);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(SEED_LANES, count) }, lane));
    return await store.headPosition();
  } finally {
    await store.close();
    await orgKeyStore.close();
  }
}
