import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleCommand } from '@cmk/application';
import {
  dataKeyCodec,
  dataKeyDecider,
  dataKeyStream,
  decodeDataKeyEvent,
  keyringCodec,
  keyringDecider,
  keyringStream,
  type EventMetadata,
  type KeyringCommand,
} from '@cmk/domain';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { createKeyProviders, providerRequestFor, type KeyProviders } from '@cmk/key-providers';
import { startIssuerServer, type IssuerServer } from '@cmk/key-providers/testing';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { forwardCheckpoint, ReadModelQueries, startProjections, type ProjectionRunner } from '@cmk/read-models';
import { dataKeyIdFor, SecretsService } from '@cmk/secrets';
import { usePrivateRedis, waitFor } from '@cmk/testing';
import { DEFAULT_REENCRYPTION_SETTINGS } from './config';
import { startReencryptionFleet, type Fleet } from './fleet';
import { fleetKeys } from './names';
import { readKeyring } from './run-keyring';
import { startStrandedKeyReactor, STRANDED_MOVE } from './stranded-key-reactor';

const meta = (): EventMetadata => {
  const id = randomUUID();
  return { actor: 'user:test', requestId: id, correlationId: id, causationId: id, occurredAt: new Date().toISOString() };
};
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * "Nothing stranded, by construction", through the worker's own pieces: the projections, the
 * re-encryption fleet (dispatcher, plan, batch, finalize) and its stranded-key reactor, on
 * SQLite, a private Redis and the KMS/STS emulator. Key-ring commands go through the command
 * path as the api sends them; the fleet does every run.
 */
// Outside the describe: its afterAll stops Redis after the fleet has closed.
const privateRedis = usePrivateRedis();

describe('stranded data keys, through the worker fleet', () => {
  let dir: string;
  let store: EventStore;
  let kms: KmsEmulator;
  let issuer: IssuerServer;
  let providers: KeyProviders;
  let projections: ProjectionRunner;
  let queries: ReadModelQueries;
  let fleet: Fleet | undefined;

  const settings = { ...DEFAULT_REENCRYPTION_SETTINGS, batchSize: 50, progressIntervalMs: 100, lockDurationMs: 5_000, indexWaitMs: 10_000 };
  const startFleet = (strandedKeyReactor: boolean) =>
    startReencryptionFleet({ store, redis: privateRedis.redis, redisUrl: privateRedis.server.url, queries, providers: providers.registry, platformKeys: providers.orgKeys, settings, logger: quiet, strandedKeyReactor, workerName: `spec-${strandedKeyReactor}` });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-stranded-fleet-'));
    store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    kms = await startKmsEmulator();
    issuer = await startIssuerServer();
    providers = await createKeyProviders({ dataDir: dir, publicUrl: issuer.publicUrl, aws: { kmsEndpoint: kms.url, stsEndpoint: kms.url, maxSockets: 16 } });
    issuer.serve(providers.issuer);
    projections = startProjections({ store, redis: privateRedis.redis });
    queries = new ReadModelQueries(privateRedis.redis);
  });
  afterAll(async () => {
    await fleet?.close();
    await projections?.stop();
    providers?.close();
    await store?.close();
    await kms?.close();
    await issuer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const keyring = (orgId: string, command: KeyringCommand) => handleCommand(store, keyringStream(orgId), keyringDecider, keyringCodec, command);
  const secrets = () => new SecretsService(store, providers.registry);
  const runId = () => `re-${randomUUID().replace(/-/g, '')}`;

  async function finished(orgId: string, reencryptionId: string) {
    await waitFor(async () => (await readKeyring(store, orgId)).runs[reencryptionId] !== 'running', { timeoutMs: 60_000, description: `run ${reencryptionId} finished` });
    const state = await readKeyring(store, orgId);
    return { outcome: state.runs[reencryptionId], run: state.lastRun };
  }

  async function addCmk(orgId: string) {
    const key = kms.createKey();
    const roleArn = `arn:aws:iam::${kms.accountId}:role/cmk/${orgId}-${randomUUID().slice(0, 6)}`;
    kms.registerRole({ roleArn, trust: providers.issuer.expectationsFor(orgId), allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }] });
    const keyId = randomUUID();
    const reencryptionId = runId();
    const result = await keyring(orgId, {
      type: 'AddKey',
      data: { orgId, keyId, name: `key-${keyId.slice(0, 6)}`, roleArn, keyArn: key.keyArn, resolvedKeyArn: key.keyArn, edition: 'enterprise', reencryptionId },
      metadata: meta(),
    });
    const firstKey = result.events.some((event) => event.type === 'ReencryptionStarted');
    if (firstKey) expect((await finished(orgId, reencryptionId)).outcome).toBe('completed');
    return { keyId, keyArn: key.keyArn };
  }

  /** An org whose k1 held three secrets and was disabled to k2 by a completed run. */
  async function orgWithDisabledKey(orgId: string) {
    const k1 = await addCmk(orgId);
    const ciphertexts = await Promise.all(['a', 'b', 'c'].map(async (scope) => (await secrets().encrypt(orgId, scope, [`value ${scope}`], meta()))[0]));
    const k2 = await addCmk(orgId);
    await keyring(orgId, { type: 'SetDefaultKey', data: { orgId, keyId: k2.keyId }, metadata: meta() });
    const off = runId();
    await keyring(orgId, { type: 'DisableKey', data: { orgId, keyId: k1.keyId, destinationKeyId: k2.keyId, reencryptionId: off }, metadata: meta() });
    const { outcome, run } = await finished(orgId, off);
    expect(outcome).toBe('completed');
    expect(run).toMatchObject({ done: 3, failed: 0 });
    return { k1, k2, ciphertexts };
  }

  /** What a crashed issuer leaves: a data key appended under k1 after k1's run, never checked again. */
  async function appendUnder(orgId: string, keyId: string, scope: string) {
    const state = await readKeyring(store, orgId);
    const dataKeyId = dataKeyIdFor(orgId, scope);
    const plaintext = randomBytes(32);
    const wrapped = await providers.registry.providerFor(providerRequestFor(state, orgId, keyId)).wrap(plaintext, { org: orgId, dataKey: dataKeyId });
    await handleCommand(store, dataKeyStream(dataKeyId), dataKeyDecider, dataKeyCodec, {
      type: 'IssueDataKey',
      data: { orgId, dataKeyId, scope, wrappedBy: keyId, kekRef: wrapped.kekRef, wrapped: wrapped.wrapped.toString('base64') },
      metadata: meta(),
    });
    return { dataKeyId, plaintext };
  }

  async function current(dataKeyId: string) {
    const events = (await store.readStream(dataKeyStream(dataKeyId))).map(decodeDataKeyEvent);
    return { events, last: events.at(-1) };
  }

  it('disable-all sweeps by the data-key index: a data key under an already disabled key moves too (reactor off)', async () => {
    fleet = startFleet(false);
    const org = `sweep-${randomUUID().slice(0, 8)}`;
    const { k1, ciphertexts } = await orgWithDisabledKey(org);
    const stray = await appendUnder(org, k1.keyId, 'stray');

    const all = runId();
    await keyring(org, { type: 'DisableAllKeys', data: { orgId: org, reencryptionId: all }, metadata: meta() });
    const { outcome, run } = await finished(org, all);
    expect(outcome).toBe('completed');
    // k2's three data keys and the stray one under k1, each counted once.
    expect(run).toMatchObject({ done: 4, failed: 0 });
    expect((await current(stray.dataKeyId)).last).toMatchObject({ type: 'DataKeyRewrapped', data: { from: k1.keyId, to: 'platform', reencryptionId: all } });
    expect(await secrets().decrypt(org, ciphertexts)).toEqual(['value a', 'value b', 'value c']);
    await fleet.close();
    fleet = undefined;
  });

  it('moves a data key a crashed issuer left under a disabled key, with no admin action', async () => {
    fleet = startFleet(true);
    const org = `crash-${randomUUID().slice(0, 8)}`;
    const { k1, k2 } = await orgWithDisabledKey(org);
    const stray = await appendUnder(org, k1.keyId, 'crashed');

    await waitFor(async () => (await current(stray.dataKeyId)).events.length === 2, { timeoutMs: 30_000, description: 'the stranded data key moved' });
    const { events, last } = await current(stray.dataKeyId);
    expect(last).toMatchObject({ type: 'DataKeyRewrapped', data: { from: k1.keyId, to: k2.keyId, kekRef: k2.keyArn, reencryptionId: STRANDED_MOVE } });
    expect(events).toHaveLength(2);
    // The customer may now delete k1: the data key opens with k2 alone.
    kms.setKeyState(k1.keyArn, 'Disabled');
    const state = await readKeyring(store, org);
    const moved = last?.type === 'DataKeyRewrapped' ? last.data : undefined;
    const opened = await providers.registry.providerFor(providerRequestFor(state, org, k2.keyId, moved?.kekRef)).unwrap(Buffer.from(moved?.wrapped ?? '', 'base64'), { org, dataKey: stray.dataKeyId });
    expect(opened.equals(stray.plaintext)).toBe(true);
  });

  it('a data key issued under a key whose disable run completes during its KMS call ends under the active key, and the run counts stay exact', async () => {
    fleet ??= startFleet(true);
    const org = `late-${randomUUID().slice(0, 8)}`;
    const k1 = await addCmk(org);
    const early = await secrets().encrypt(org, 'early', ['early value'], meta());
    const k2 = await addCmk(org);

    // Hold the next GenerateDataKey under k1 long enough for the fleet to run the whole disable
    // (below the SDK's 10 s request timeout). Too slow a run fails the test, never passes it.
    kms.addFault({ operation: 'GenerateDataKey', keyArn: k1.keyArn, latencyMs: 8_000, count: 1 });
    const generated = kms.stats().byOperation['GenerateDataKey'] ?? 0;
    const encrypting = secrets().encrypt(org, 'late', ['late value'], meta());
    await waitFor(() => (kms.stats().byOperation['GenerateDataKey'] ?? 0) > generated, { description: 'GenerateDataKey in flight' });

    await keyring(org, { type: 'SetDefaultKey', data: { orgId: org, keyId: k2.keyId }, metadata: meta() });
    const off = runId();
    await keyring(org, { type: 'DisableKey', data: { orgId: org, keyId: k1.keyId, destinationKeyId: k2.keyId, reencryptionId: off }, metadata: meta() });
    const { outcome, run } = await finished(org, off);
    const completedAt = (await store.readStream(keyringStream(org))).at(-1)?.position.commit ?? 0n;

    const [late] = await encrypting;
    const lateId = dataKeyIdFor(org, 'late');
    await waitFor(async () => (await current(lateId)).last?.type === 'DataKeyRewrapped', { description: 'the late data key moved' });
    const raw = await store.readStream(dataKeyStream(lateId));
    const { events, last } = await current(lateId);
    // The interleaving really happened: the data key was appended under k1 after the run completed.
    expect(events[0]).toMatchObject({ type: 'DataKeyIssued', data: { wrappedBy: k1.keyId } });
    expect(raw[0].position.commit > completedAt).toBe(true);
    // Moved once (by its issuer or by the reactor, whichever came first), to the active key.
    expect(events).toHaveLength(2);
    expect(last).toMatchObject({ type: 'DataKeyRewrapped', data: { from: k1.keyId, to: k2.keyId, kekRef: k2.keyArn } });
    // The run counted exactly the one data key that existed when it ran.
    expect(outcome).toBe('completed');
    expect(run).toMatchObject({ done: 1, failed: 0 });

    kms.setKeyState(k1.keyArn, 'Disabled');
    expect(await secrets().decrypt(org, [early[0], late])).toEqual(['early value', 'late value']);
  }, 60_000);

  it('a data key appended while a run runs, after its last check, is moved when the completion is swept', async () => {
    await fleet?.close();
    fleet = undefined;
    const org = `sweep-done-${randomUUID().slice(0, 8)}`;
    // No fleet: the runs are driven by hand, so the run below never sweeps anything itself.
    const k1 = kms.createKey().keyArn;
    const ids = await Promise.all([k1, kms.createKey().keyArn].map(async (keyArn, i) => {
      const roleArn = `arn:aws:iam::${kms.accountId}:role/cmk/${org}-${i}`;
      kms.registerRole({ roleArn, trust: providers.issuer.expectationsFor(org), allow: [{ keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }] });
      const keyId = randomUUID();
      const reencryptionId = runId();
      await keyring(org, { type: 'AddKey', data: { orgId: org, keyId, name: `key-${i}`, roleArn, keyArn, resolvedKeyArn: keyArn, edition: 'enterprise', reencryptionId }, metadata: meta() });
      if (i === 0) await keyring(org, { type: 'CompleteReencryption', data: { orgId: org, reencryptionId, rewrapped: 0, failed: 0 }, metadata: meta() });
      return keyId;
    }));
    const [first, second] = ids;
    await keyring(org, { type: 'SetDefaultKey', data: { orgId: org, keyId: second }, metadata: meta() });
    const off = runId();
    await keyring(org, { type: 'DisableKey', data: { orgId: org, keyId: first, destinationKeyId: second, reencryptionId: off }, metadata: meta() });

    // Count the reactor's reads of this key ring: one means it has handled the data key's event.
    let ringReads = 0;
    const spied: EventStore = Object.assign(Object.create(store) as EventStore, {
      readStream: (name: string, options?: Parameters<EventStore['readStream']>[1]) => {
        if (name === keyringStream(org)) ringReads += 1;
        return store.readStream(name, options);
      },
    });
    const reactor = startStrandedKeyReactor({ store: spied, redis: privateRedis.redis, queries, providers: providers.registry, logger: quiet, indexWaitMs: 10_000 });
    try {
      // Caught up first (its checkpoint at the run's start), so the next key-ring read is the data key's.
      const started = (await store.readStream(keyringStream(org))).at(-1)?.position.commit ?? 0n;
      const checkpoint = forwardCheckpoint(privateRedis.redis, fleetKeys.strandedCheckpoint);
      await waitFor(async () => ((await checkpoint.load())?.commit ?? -1n) >= started, { description: 'the reactor caught up' });
      ringReads = 0;
      const late = await appendUnder(org, first, 'during-run');
      await waitFor(() => ringReads > 0, { description: 'the reactor handled the data key while the run ran' });
      // The run is running: not the reactor's to move (the run would, had it not finished its sweep).
      expect((await current(late.dataKeyId)).events).toHaveLength(1);

      await keyring(org, { type: 'CompleteReencryption', data: { orgId: org, reencryptionId: off, rewrapped: 0, failed: 0 }, metadata: meta() });
      await waitFor(async () => (await current(late.dataKeyId)).events.length === 2, { timeoutMs: 30_000, description: 'the completion swept' });
      expect((await current(late.dataKeyId)).last).toMatchObject({ type: 'DataKeyRewrapped', data: { from: first, to: second, reencryptionId: STRANDED_MOVE } });
    } finally {
      await reactor.stop();
    }
  });
});
