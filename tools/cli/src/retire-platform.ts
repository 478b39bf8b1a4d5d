import { join } from 'node:path';
import { DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { dataKeyDecider, parseKeyArn, decodeDataKeyEvent, PLATFORM_KEY_ID, type DataKeyEvent } from '@cmk/domain';
import { openEsdbEventStore, openPostgresEventStore, openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { describeDependents, openOrgKeyStore, orgKeyStoreUrlOf, platformKekRef, PlatformMasterKeyring, postgresUrlOrUndefined } from '@cmk/key-providers';

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
  await refuseWhileNeeded(dataDir, kekRef, eventStoreUrl, `platform key version ${version}`);
  await keyring.retire(version);
  return { retired: version, remaining: keyring.versionNumbers() };
}

export interface KmsRetirement {
  /** `CMK_PLATFORM_KMS_KEY_ARN`: the key in use, which can never be retired. */
  readonly currentArn: string | undefined;
  readonly eventStoreUrl: string | undefined;
  /** KMS endpoint; default the SDK's (which honours `AWS_ENDPOINT_URL_KMS`). */
  readonly kmsEndpoint?: string;
}

/**
 * `keys retire-platform <KMS key ARN>`: the previous KMS-held platform key, after
 * `CMK_PLATFORM_KMS_KEY_ARN` moved to a new key and the worker rewrapped the org platform keys to
 * it. Refused while anything still depends on the old key (the same check as for a version),
 * otherwise the key is disabled in KMS with the ambient credentials (the operator's, who owns it):
 * from then on nothing the platform holds opens with it. Scheduling its deletion is the
 * operator's next step in KMS.
 */
export async function retirePlatformKmsKey(dataDir: string, keyArn: string, options: KmsRetirement): Promise<{ retired: string; keyState: 'Disabled' }> {
  const arn = parseKeyArn(keyArn);
  if (arn?.kind !== 'key') throw new Error('usage: cli keys retire-platform <version | KMS key ARN> (arn:aws:kms:<region>:<account>:key/<id>)');
  if (options.currentArn === undefined) throw new Error('CMK_PLATFORM_KMS_KEY_ARN is not set: the platform key is the local keyring; retire a version number');
  if (options.currentArn === keyArn) throw new Error(`${keyArn} is CMK_PLATFORM_KMS_KEY_ARN (it wraps everything new): set the new key there first`);
  await refuseWhileNeeded(dataDir, keyArn, options.eventStoreUrl, `platform KMS key ${keyArn}`);
  const kms = new KMSClient({ region: arn.region, ...(options.kmsEndpoint ? { endpoint: options.kmsEndpoint } : {}) });
  try {
    await kms.send(new DisableKeyCommand({ KeyId: keyArn }));
  } catch (error) {
    throw new Error(`Nothing depends on ${keyArn} any more, but KMS refused to disable it: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    kms.destroy();
  }
  return { retired: keyArn, keyState: 'Disabled' };
}

/** Throws, naming them, while live org platform keys or current data-key wraps are under `kekRef`. */
async function refuseWhileNeeded(dataDir: string, kekRef: string, eventStoreUrl: string | undefined, what: string): Promise<void> {
  const postgresUrl = postgresUrlOrUndefined(eventStoreUrl);
  const orgKeys = await openOrgKeyStore(dataDir, orgKeyStoreUrlOf(eventStoreUrl));
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
    if (refusal) throw new Error(`Refusing to retire ${what}: ${refusal}.`);
  } finally {
    await orgKeys.close();
    await store.close();
  }
}

/** Data keys whose current wrapped form is under the master key itself (`kekRef` `platform:v<N>` or the KMS key's ARN). */
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
