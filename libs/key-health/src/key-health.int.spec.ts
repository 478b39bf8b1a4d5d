import { randomUUID } from 'node:crypto';
import { decodeKeyHealthEvent, keyHealthStream, type KeyHealthChanged } from '@cmk/domain';
import { HEALTH_PROBE_PURPOSE } from '@cmk/key-providers';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { bullConnection } from '@cmk/reencryption';
import { usePrivateRedis, waitFor } from '@cmk/testing';
import { KeyHealthChecker, type ProbedKey } from './checker';
import { startKeyHealthFleet, type KeyHealthFleet } from './fleet';
import { KeyHealthGate } from './gate';
import { HealthStore } from './health-store';
import { slotOf } from './schedule';
import { DEFAULT_KEY_HEALTH_SETTINGS } from './settings';
import { startHealthRig, type HealthRig, type RigRole } from '@cmk/key-health/testing';

const privateRedis = usePrivateRedis();
const quiet = { log: () => undefined, warn: () => undefined };
let seq = 0;
const newOrg = () => `health-${++seq}-${randomUUID().slice(0, 6)}`;

describe('key health over the real SDK, SQLite store and Redis, against the emulator', () => {
  let rig: HealthRig<KmsEmulator>;
  beforeAll(async () => {
    rig = await startHealthRig(privateRedis.redis, await startKmsEmulator());
  });
  afterAll(async () => {
    await rig.close();
    await rig.kms.close();
  });
  afterEach(() => {
    rig.kms.clearFaults();
    rig.kms.setStsOutage(undefined);
  });

  const checker = (confirmations = 2) =>
    new KeyHealthChecker({ store: rig.store, health: new HealthStore(privateRedis.redis), probe: rig.providers.probe, settings: { ...DEFAULT_KEY_HEALTH_SETTINGS, confirmations, timeoutMs: 2_000 } });

  async function changes(orgId: string): Promise<KeyHealthChanged['data'][]> {
    return (await rig.store.readStream(keyHealthStream(orgId))).map((e) => decodeKeyHealthEvent(e).data);
  }

  async function newKey(): Promise<ProbedKey & { keyArn: string; role: RigRole }> {
    const orgId = newOrg();
    const key = await rig.addKey(orgId);
    return { orgId, keyId: key.keyId, roleArn: key.roleArn, resolvedKeyArn: key.keyArn, keyArn: key.keyArn, role: key.role };
  }

  it('declares a decision state only after the configured confirmations, with one event per change', async () => {
    const key = await newKey();
    const check = checker(2);
    expect((await check.check(key)).state).toBe('healthy');
    rig.kms.setKeyState(key.keyArn, 'Disabled');
    const first = await check.check(key);
    expect(first).toMatchObject({ state: 'healthy', observed: 'disabled', pending: { state: 'disabled', count: 1 } });
    const second = await check.check(key);
    expect(second).toMatchObject({ state: 'disabled', code: 'KMS_KEY_DISABLED', since: first.checkedAt });
    await check.check(key);
    expect((await changes(key.orgId)).map((c) => [c.from, c.to])).toEqual([
      ['unknown', 'healthy'],
      ['healthy', 'disabled'],
    ]);
    // The key list's "why": new data keys under it would fail at once with the state's code.
    expect(await new KeyHealthGate(new HealthStore(privateRedis.redis)).blocked(key.orgId, key.keyId)).toMatchObject({ code: 'KMS_KEY_DISABLED', state: 'disabled' });
    rig.kms.setKeyState(key.keyArn, 'Enabled');
    expect((await check.check(key)).state).toBe('healthy');
    expect(await new KeyHealthGate(new HealthStore(privateRedis.redis)).blocked(key.orgId, key.keyId)).toBeUndefined();
  });

  it('with three confirmations, two probes of a removed allow are not enough', async () => {
    const key = await newKey();
    const check = checker(3);
    await check.check(key);
    rig.kms.registerRole({ ...key.role, allow: [] });
    expect((await check.check(key)).state).toBe('healthy');
    expect((await check.check(key)).state).toBe('healthy');
    expect(await check.check(key)).toMatchObject({ state: 'access_denied', code: 'KMS_ACCESS_DENIED' });
  });

  it('unreachable never turns into a decision state, however long the outage and whatever lies behind it', async () => {
    const key = await newKey();
    const check = checker(2);
    await check.check(key);
    rig.kms.setStsOutage('idp-unreachable');
    rig.kms.setKeyState(key.keyArn, 'Disabled'); // hidden behind the outage
    for (let i = 0; i < 4; i++) expect((await check.check(key)).state).toBe('unreachable');
    // Outage and decision alternating never add up to the confirmations a decision needs.
    for (let i = 0; i < 3; i++) {
      rig.kms.setStsOutage(undefined);
      expect((await check.check(key)).state).not.toBe('disabled');
      rig.kms.setStsOutage('unavailable');
      expect((await check.check(key)).state).toBe('unreachable');
    }
    expect((await changes(key.orgId)).map((c) => c.to)).toEqual(['healthy', 'unreachable']);
    rig.kms.setKeyState(key.keyArn, 'Enabled');
  });

  it('two workers probe each key once per interval (counted by the emulator from the probe encryption context)', async () => {
    const keys = [await newKey(), await newKey(), await newKey()];
    const settings = { ...DEFAULT_KEY_HEALTH_SETTINGS, intervalSeconds: 2, timeoutMs: 2_000 };
    const url = privateRedis.server.url;
    const fleets: KeyHealthFleet[] = ['w1', 'w2'].map((workerName) =>
      startKeyHealthFleet({
        store: rig.store,
        redis: privateRedis.redis,
        connection: bullConnection(url, `health-${workerName}`),
        queries: rig.queries,
        probe: rig.providers.probe,
        settings,
        logger: quiet,
        workerName,
      }),
    );
    rig.kms.resetStats();
    const started = Date.now();
    const probes = (keyArn: string) => rig.kms.stats().byPurpose[HEALTH_PROBE_PURPOSE]?.[`GenerateDataKey ${keyArn}`] ?? 0;
    try {
      await waitFor(() => keys.every((k) => probes(k.keyArn) >= 3), { timeoutMs: 30_000, description: 'three probes of every key' });
    } finally {
      await Promise.all(fleets.map((fleet) => fleet.close()));
    }
    const stopped = Date.now();
    for (const key of keys) {
      const slots = slotOf(key.orgId, key.keyId, 2_000, stopped) - slotOf(key.orgId, key.keyId, 2_000, started) + 1;
      expect(probes(key.keyArn)).toBeLessThanOrEqual(slots);
    }
    expect((await changes(keys[0].orgId)).map((c) => c.to)).toEqual(['healthy']);
  });
});

describe('HealthStore (real Redis): compare-and-set updates', () => {
  it('never loses a concurrent update', async () => {
    const store = new HealthStore(privateRedis.redis);
    const base = { orgId: 'cas', keyId: 'k', state: 'healthy' as const, reason: 'r', code: null, message: null, since: 't', checkedAt: 't', observed: 'healthy' as const, pending: null };
    await Promise.all(Array.from({ length: 10 }, () => store.update('cas', 'k', (previous) => ({ ...base, latencyMs: (previous?.latencyMs ?? 0) + 1 }))));
    expect((await store.get('cas', 'k'))?.latencyMs).toBe(10);
  });
});
