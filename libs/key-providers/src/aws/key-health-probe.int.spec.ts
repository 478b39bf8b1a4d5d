import { classifyProbe } from '@cmk/domain';
// Integration specs run against the emulator tool; library code never imports it.
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyProviders, type KeyProviders } from '../create-key-providers';
import { startIssuerServer, type IssuerServer } from '@cmk/key-providers/testing';
import { HEALTH_PROBE_PURPOSE } from './key-health-probe';

const ACCOUNT = '111122223333';
const ALL = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'];
let seq = 0;

describe('key health probe over the real SDK against the emulator: each state from its emulator action', () => {
  let emulator: KmsEmulator;
  let server: IssuerServer;
  let dataDir: string;
  let providers: KeyProviders;

  beforeAll(async () => {
    emulator = await startKmsEmulator();
    server = await startIssuerServer();
    dataDir = await mkdtemp(join(tmpdir(), 'cmk-probe-'));
    providers = await createKeyProviders({
      dataDir,
      publicUrl: server.publicUrl,
      // One SDK attempt keeps the outage cases fast.
      aws: { kmsEndpoint: emulator.url, stsEndpoint: emulator.url, maxAttempts: 1 },
    });
    server.serve(providers.issuer);
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.setLatency(0);
    emulator.setStsOutage(undefined);
  });
  afterAll(async () => {
    providers.close();
    await emulator.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function setup() {
    seq += 1;
    const org = `probe-${seq}`;
    const expected = providers.issuer.expectationsFor(org);
    const key = emulator.createKey();
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/cmk-${org}`;
    const role = { roleArn, trust: { issuer: expected.issuer, audience: expected.audience, subject: expected.subject }, allow: [{ keyArn: key.keyArn, actions: ALL }] };
    emulator.registerRole(role);
    return { target: { orgId: org, roleArn, keyArn: key.keyArn }, role };
  }

  const stateOf = async (target: { orgId: string; roleArn: string; keyArn: string }, slowMs = 5_000) => {
    const outcome = await providers.probe.probe(target, 1_000);
    return { outcome, state: classifyProbe(outcome, slowMs).state };
  };

  it('healthy: GenerateDataKey then Decrypt, both marked as a health probe in the encryption context', async () => {
    const { target } = setup();
    emulator.resetStats();
    const { outcome, state } = await stateOf(target);
    expect(outcome.ok).toBe(true);
    expect(state).toBe('healthy');
    expect(emulator.stats().byPurpose[HEALTH_PROBE_PURPOSE]).toEqual({ [`GenerateDataKey ${target.keyArn}`]: 1, [`Decrypt ${target.keyArn}`]: 1 });
  });

  it('assumes the role afresh every time: a trust-policy change shows on the next probe', async () => {
    const { target, role } = setup();
    expect((await stateOf(target)).state).toBe('healthy');
    emulator.registerRole({ ...role, trust: { ...role.trust, subject: 'cmk:cmk:organization.login:someone-else' } });
    const { outcome, state } = await stateOf(target);
    expect(state).toBe('access_denied');
    expect(outcome).toMatchObject({ code: 'KMS_ROLE_NOT_ASSUMABLE' });
  });

  it('access_denied when the role loses its allow (key policy)', async () => {
    const { target, role } = setup();
    emulator.registerRole({ ...role, allow: [] });
    expect(await stateOf(target)).toMatchObject({ state: 'access_denied', outcome: { code: 'KMS_ACCESS_DENIED' } });
  });

  it('disabled, pending_deletion and not_found from the key state', async () => {
    const disabled = setup();
    emulator.setKeyState(disabled.target.keyArn, 'Disabled');
    expect(await stateOf(disabled.target)).toMatchObject({ state: 'disabled', outcome: { code: 'KMS_KEY_DISABLED' } });
    const deleting = setup();
    emulator.setKeyState(deleting.target.keyArn, 'PendingDeletion');
    expect(await stateOf(deleting.target)).toMatchObject({ state: 'pending_deletion', outcome: { code: 'KMS_KEY_PENDING_DELETION' } });
    const gone = setup();
    const missing = { ...gone.target, keyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/00000000-0000-4000-8000-000000000000` };
    emulator.registerRole({ ...gone.role, allow: [{ keyArn: '*', actions: ALL }] });
    expect(await stateOf(missing)).toMatchObject({ state: 'not_found', outcome: { code: 'KMS_KEY_NOT_FOUND' } });
  });

  it('degraded when throttled or slower than the threshold', async () => {
    const throttled = setup();
    emulator.addFault({ keyArn: throttled.target.keyArn, error: 'ThrottlingException' });
    expect(await stateOf(throttled.target)).toMatchObject({ state: 'degraded', outcome: { code: 'KMS_THROTTLED' } });
    const slow = setup();
    emulator.addFault({ keyArn: slow.target.keyArn, latencyMs: 150 });
    expect(await stateOf(slow.target, 100)).toMatchObject({ state: 'degraded', outcome: { ok: true } });
  });

  it('unreachable for STS down, our identity provider unreachable, KMS 5xx and time-outs: never a decision', async () => {
    const { target } = setup();
    emulator.setStsOutage('unavailable');
    expect(await stateOf(target)).toMatchObject({ state: 'unreachable', outcome: { code: 'KMS_UNAVAILABLE' } });
    emulator.setStsOutage('idp-unreachable');
    expect(await stateOf(target)).toMatchObject({ state: 'unreachable', outcome: { code: 'KMS_UNAVAILABLE' } });
    emulator.setStsOutage(undefined);
    emulator.addFault({ keyArn: target.keyArn, error: 'KMSInternalException', count: 1 });
    expect(await stateOf(target)).toMatchObject({ state: 'unreachable', outcome: { code: 'KMS_UNAVAILABLE' } });
    emulator.addFault({ keyArn: target.keyArn, latencyMs: 2_000, count: 1 });
    expect(await stateOf(target)).toMatchObject({ state: 'unreachable', outcome: { code: 'KMS_UNAVAILABLE' } });
  });
});
