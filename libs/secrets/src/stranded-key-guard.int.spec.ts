import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleCommand } from '@cmk/application';
import { dataKeyStream, decodeDataKeyEvent, decodeKeyringEvent, encodeKeyringEvent, keyringDecider, keyringStream, type EventMetadata, type KeyringCommand } from '@cmk/domain';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { createKeyProviders, type KeyProviders } from '@cmk/key-providers';
import { startIssuerServer, type IssuerServer } from '@cmk/key-providers/testing';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { waitFor } from '@cmk/testing';
import { SecretsService } from './secrets-service';
import { ISSUER_MOVE } from './stranded-key-guard';

const meta = (): EventMetadata => {
  const id = randomUUID();
  return { actor: 'user:test', requestId: id, correlationId: id, causationId: id, occurredAt: new Date().toISOString() };
};

/**
 * The interleaving of issue "nothing stranded": a data key is being issued under k1 (its
 * GenerateDataKey held by the emulator's latency fault) while the admin moves the default to k2
 * and the disable-k1 run completes. The append then lands under a disabled key, after the run's
 * last sweep; the issuer must move it to k2 itself.
 */
describe('StrandedKeyGuard: a data key issued under a key retired during its KMS call', () => {
  let dir: string;
  let store: EventStore;
  let kms: KmsEmulator;
  let issuer: IssuerServer;
  let providers: KeyProviders;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-stranded-'));
    store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    kms = await startKmsEmulator();
    issuer = await startIssuerServer();
    providers = await createKeyProviders({ dataDir: dir, publicUrl: issuer.publicUrl, aws: { kmsEndpoint: kms.url, stsEndpoint: kms.url, maxSockets: 16 } });
    issuer.serve(providers.issuer);
  });
  afterAll(async () => {
    providers?.close();
    await store?.close();
    await kms?.close();
    await issuer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const keyring = (orgId: string, command: KeyringCommand) =>
    handleCommand(store, keyringStream(orgId), keyringDecider, { decode: decodeKeyringEvent, encode: encodeKeyringEvent }, command);

  async function addCmk(orgId: string) {
    const key = kms.createKey();
    const roleArn = `arn:aws:iam::${kms.accountId}:role/cmk/${orgId}-${randomUUID().slice(0, 6)}`;
    kms.registerRole({ roleArn, trust: providers.issuer.expectationsFor(orgId), allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }] });
    const keyId = randomUUID();
    const reencryptionId = `re-${randomUUID().slice(0, 8)}`;
    await keyring(orgId, {
      type: 'AddKey',
      data: { orgId, keyId, name: `key-${keyId.slice(0, 6)}`, roleArn, keyArn: key.keyArn, resolvedKeyArn: key.keyArn, edition: 'enterprise', reencryptionId },
      metadata: meta(),
    });
    return { keyId, keyArn: key.keyArn, reencryptionId };
  }

  it('moves the data key to the active key itself, it decrypts, and the run counts stay exact', async () => {
    const org = `stranded-${randomUUID().slice(0, 8)}`;
    const k1 = await addCmk(org);
    await keyring(org, { type: 'CompleteReencryption', data: { orgId: org, reencryptionId: k1.reencryptionId, rewrapped: 0, failed: 0 }, metadata: meta() });
    const k2 = await addCmk(org);

    // Hold the next GenerateDataKey under k1 in the emulator long enough for the run to finish.
    kms.addFault({ operation: 'GenerateDataKey', keyArn: k1.keyArn, latencyMs: 3_000, count: 1 });
    const generateBefore = kms.stats().byOperation['GenerateDataKey'] ?? 0;
    const encrypting = new SecretsService(store, providers.registry).encrypt(org, 'late', ['late value'], meta());
    await waitFor(() => (kms.stats().byOperation['GenerateDataKey'] ?? 0) > generateBefore, { description: 'GenerateDataKey in flight' });

    const runId = `re-${randomUUID().slice(0, 8)}`;
    await keyring(org, { type: 'SetDefaultKey', data: { orgId: org, keyId: k2.keyId }, metadata: meta() });
    await keyring(org, { type: 'DisableKey', data: { orgId: org, keyId: k1.keyId, destinationKeyId: k2.keyId, reencryptionId: runId }, metadata: meta() });
    // The run found nothing under k1 (the data key does not exist yet) and completes.
    await keyring(org, { type: 'CompleteReencryption', data: { orgId: org, reencryptionId: runId, rewrapped: 0, failed: 0 }, metadata: meta() });
    const completedAt = (await store.readStream(keyringStream(org))).at(-1);

    const [ciphertext] = await encrypting;
    const events = await store.readStream(dataKeyStream(ciphertext.split('.')[1]));
    const decoded = events.map(decodeDataKeyEvent);
    // The interleaving really happened: the issue landed after the run had completed.
    expect(decoded[0]).toMatchObject({ type: 'DataKeyIssued', data: { wrappedBy: k1.keyId } });
    expect(events[0].position.commit > (completedAt?.position.commit ?? 0n)).toBe(true);
    // (Use reservations, which change no wrap, follow the move.)
    expect(decoded.slice(1).filter((e) => e.type !== 'DataKeyUseReserved')).toEqual([
      expect.objectContaining({ type: 'DataKeyRewrapped', data: expect.objectContaining({ from: k1.keyId, to: k2.keyId, kekRef: k2.keyArn, reencryptionId: ISSUER_MOVE }) }),
    ]);

    // With k1 disabled in KMS, a cold service still decrypts: only k2 is needed.
    kms.setKeyState(k1.keyArn, 'Disabled');
    expect(await new SecretsService(store, providers.registry).decrypt(org, [ciphertext])).toEqual(['late value']);
    const last = (await store.readStream(keyringStream(org))).map(decodeKeyringEvent).filter((e) => e.type === 'ReencryptionCompleted').at(-1);
    expect(last?.data).toEqual({ orgId: org, reencryptionId: runId, rewrapped: 0, failed: 0 });
  });
});
