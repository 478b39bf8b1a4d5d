import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationError, handleCommand } from '@cmk/application';
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
import { createKeyProviders, type KeyProviders, type OidcIssuer } from '@cmk/key-providers';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { dataKeyIdFor } from './scope';
import type { DataKeyIdKey } from '@cmk/key-providers';
import { SecretsService } from './secrets-service';

const meta = (): EventMetadata => {
  const id = randomUUID();
  return { actor: 'user:test', requestId: id, correlationId: id, causationId: id, occurredAt: new Date().toISOString() };
};
let seq = 0;
const newOrg = () => `sec-org-${++seq}-${randomUUID().slice(0, 8)}`;

async function failure(promise: Promise<unknown>): Promise<ApplicationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationError);
  return error as ApplicationError;
}

/** Publishes our issuer's discovery document and JWKS, as the api does, for the emulator's STS. */
async function serveIssuer(): Promise<{ publicUrl: string; serve(issuer: OidcIssuer): void; close(): void }> {
  let current: OidcIssuer | undefined;
  const server: Server = createServer((req, res) => {
    const answer = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!current) res.writeHead(503).end();
    else if (req.url === '/oidc/.well-known/openid-configuration') answer(current.openIdConfiguration());
    else if (req.url === '/oidc/.well-known/jwks') current.jwks().then(answer, () => res.writeHead(500).end());
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    publicUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (issuer) => (current = issuer),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Counts stream reads, to prove the warm path does no I/O. */
function counting(store: EventStore): EventStore & { reads: number } {
  const wrapper = Object.create(store) as EventStore & { reads: number };
  wrapper.reads = 0;
  wrapper.readStream = (...args) => {
    wrapper.reads += 1;
    return store.readStream(...args);
  };
  return wrapper;
}

describe('SecretsService on SQLite with the local platform key and the KMS emulator', () => {
  let dir: string;
  let store: EventStore;
  let kms: KmsEmulator;
  let issuer: Awaited<ReturnType<typeof serveIssuer>>;
  let providers: KeyProviders;
  const service = () => new SecretsService(store, providers.registry);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-secrets-'));
    store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    kms = await startKmsEmulator();
    issuer = await serveIssuer();
    providers = await createKeyProviders({ dataDir: dir, publicUrl: issuer.publicUrl, aws: { kmsEndpoint: kms.url, stsEndpoint: kms.url, maxSockets: 16 } });
    issuer.serve(providers.issuer);
  });

  afterAll(async () => {
    providers?.close();
    await store?.close();
    await kms?.close();
    issuer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function keyring(orgId: string, command: KeyringCommand): Promise<void> {
    await handleCommand(store, keyringStream(orgId), keyringDecider, keyringCodec, command);
  }

  /** Adds a CMK (the first one becomes the default) with a role that trusts our issuer. */
  async function addCmk(orgId: string): Promise<{ keyId: string; keyArn: string; roleArn: string; reencryptionId: string }> {
    const key = kms.createKey();
    const expected = providers.issuer.expectationsFor(orgId);
    const roleArn = `arn:aws:iam::${kms.accountId}:role/cmk/${orgId}-${randomUUID().slice(0, 6)}`;
    kms.registerRole({ roleArn, trust: expected, allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }] });
    const keyId = randomUUID();
    const reencryptionId = `re-${randomUUID().slice(0, 8)}`;
    const data = { orgId, keyId, name: `key-${keyId.slice(0, 6)}`, roleArn, keyArn: key.keyArn, resolvedKeyArn: key.keyArn, edition: 'enterprise' as const, reencryptionId };
    await keyring(orgId, { type: 'AddKey', data, metadata: meta() });
    return { keyId, keyArn: key.keyArn, roleArn, reencryptionId };
  }

  /** Generation 0's (keyed) data key id of (org, scope). */
  function idOf(orgId: string, scope: string): string {
    const idKey: DataKeyIdKey | undefined = providers.registry.dataKeyIdKey;
    if (!idKey) throw new Error('createKeyProviders loads the data-key id key');
    return dataKeyIdFor(idKey, orgId, scope, 0);
  }

  async function dataKeyEvents(dataKeyId: string) {
    return (await store.readStream(dataKeyStream(dataKeyId))).map(decodeDataKeyEvent);
  }

  it('decrypts a batch spanning more data keys than the cache holds (entries evicted mid-batch)', async () => {
    const orgId = newOrg();
    const small = new SecretsService(store, providers.registry, { cache: { max: 2 } });
    const ciphertexts: string[] = [];
    for (let i = 0; i < 6; i++) ciphertexts.push(...(await small.encrypt(orgId, `scope-${i}`, [`value-${i}`], meta())));
    const fresh = new SecretsService(store, providers.registry, { cache: { max: 2 } });
    expect(await fresh.decrypt(orgId, ciphertexts)).toEqual(ciphertexts.map((_, i) => `value-${i}`));
    expect(await fresh.decrypt(orgId, [...ciphertexts].reverse())).toEqual(ciphertexts.map((_, i) => `value-${5 - i}`));
  });

  it('round-trips values and decrypts from another process-like instance (the store is the truth)', async () => {
    const org = newOrg();
    const values = ['', 'hello', 'ünïcödé 🔑', 'x'.repeat(5000)];
    const ciphertexts = await service().encrypt(org, 'env/prod', values, meta());
    expect(await service().decrypt(org, ciphertexts)).toEqual(values);
    const [issued] = await dataKeyEvents(idOf(org, 'env/prod'));
    expect(issued).toMatchObject({ type: 'DataKeyIssued', data: { orgId: org, scope: 'env/prod', wrappedBy: 'platform', kekRef: 'platform-org:g1' } });
  });

  it('issues exactly one data key when many first uses race, and every racer uses it', async () => {
    const org = newOrg();
    const racers = Array.from({ length: 6 }, () => service());
    const results = await Promise.all(racers.flatMap((s, i) => [s.encrypt(org, 'race', [`a${i}`]), s.encrypt(org, 'race', [`b${i}`])]));
    expect((await dataKeyEvents(idOf(org, 'race'))).filter((e) => e.type === 'DataKeyIssued')).toHaveLength(1);
    const all = await service().decrypt(org, results.flat());
    expect(all).toEqual(racers.flatMap((_, i) => [`a${i}`, `b${i}`]));
  });

  it("reads metadata given as a function only to issue a data key, and puts it on that key's event", async () => {
    const org = newOrg();
    const s = service();
    const given = meta();
    const metadata = jest.fn(() => given);
    const [first] = await s.encrypt(org, 'lazy', ['one'], metadata);
    expect(metadata).toHaveBeenCalledTimes(1);
    const [issued] = await store.readStream(dataKeyStream(idOf(org, 'lazy')));
    expect(issued.metadata).toMatchObject({ ...given });
    await s.encrypt(org, 'lazy', ['two', 'three'], metadata);
    expect(metadata).toHaveBeenCalledTimes(1);
    expect(await s.decrypt(org, [first])).toEqual(['one']);
  });

  it('serves warm batches from memory: no event store read per value', async () => {
    const org = newOrg();
    const counted = counting(store);
    const s = new SecretsService(counted, providers.registry);
    const ciphertexts = await s.encrypt(org, 'warm', ['v1']);
    const before = counted.reads;
    const many = await s.encrypt(org, 'warm', Array.from({ length: 500 }, (_, i) => `value-${i}`));
    expect(await s.decrypt(org, [...many, ...ciphertexts])).toHaveLength(501);
    expect(counted.reads).toBe(before);
  });

  it('refuses another org, unknown data keys and tampering with stable 400 codes', async () => {
    const org = newOrg();
    const other = newOrg();
    const s = service();
    const [ct] = await s.encrypt(org, 'env', ['secret']);
    // Both with the owner's key cached in this instance and from a cold instance.
    for (const instance of [s, service()]) {
      expect(await failure(instance.decrypt(other, [ct]))).toMatchObject({ code: 'DATA_KEY_NOT_FOUND', httpStatus: 400 });
    }
    const unknown = ct.replace(/dk[0-9a-f]{40}/, idOf(org, 'never-used'));
    expect(await failure(s.decrypt(org, [unknown]))).toMatchObject({ code: 'DATA_KEY_NOT_FOUND', httpStatus: 400 });
    const [, , , sealed] = ct.split('.');
    const flipped = ct.slice(0, ct.length - sealed.length) + (sealed[0] === 'A' ? 'B' : 'A') + sealed.slice(1);
    expect(await failure(s.decrypt(org, [flipped]))).toMatchObject({ code: 'CIPHERTEXT_INVALID', httpStatus: 400, details: { index: 0 } });
    // A ciphertext of another scope's key, relabelled with this scope's key id, fails its tag.
    const [otherScope] = await s.encrypt(org, 'env2', ['x']);
    const relabelled = otherScope.replace(/dk[0-9a-f]{40}/, idOf(org, 'env'));
    expect(await failure(s.decrypt(org, [relabelled]))).toMatchObject({ code: 'CIPHERTEXT_INVALID' });
  });

  it('enforces scope, batch and size limits', async () => {
    const org = newOrg();
    const s = service();
    expect(await failure(s.encrypt(org, 'bad scope', ['x']))).toMatchObject({ code: 'SCOPE_INVALID', httpStatus: 400 });
    expect(await failure(s.encrypt(org, 'ok', Array.from({ length: 1001 }, () => 'x')))).toMatchObject({ code: 'BATCH_TOO_LARGE', httpStatus: 400 });
    expect(await failure(s.encrypt(org, 'ok', ['x'.repeat(1024 * 1024 + 1)]))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 });
    expect(await failure(s.encrypt(org, 'ok', ['\uD800']))).toMatchObject({ code: 'VALUE_INVALID', httpStatus: 400 });
    const full = await s.encrypt(org, 'ok', Array.from({ length: 1000 }, () => 'y'.repeat(1024)));
    expect(await s.decrypt(org, full)).toHaveLength(1000);
  });

  it('wraps new data keys with the default CMK and keeps older ones decrypting, rewrapped or not', async () => {
    const org = newOrg();
    const before = await service().encrypt(org, 'old', ['under platform']);
    const cmk = await addCmk(org);
    const generateBefore = kms.stats().byOperation['GenerateDataKey'] ?? 0;
    const after = await service().encrypt(org, 'new', ['under cmk']);
    expect(kms.stats().byOperation['GenerateDataKey']).toBe(generateBefore + 1);
    const [issued] = await dataKeyEvents(idOf(org, 'new'));
    expect(issued.data).toMatchObject({ wrappedBy: cmk.keyId, kekRef: cmk.keyArn });

    const decryptsBefore = kms.stats().byOperation['Decrypt'] ?? 0;
    expect(await service().decrypt(org, [...before, ...after])).toEqual(['under platform', 'under cmk']);
    expect(kms.stats().byOperation['Decrypt']).toBe(decryptsBefore + 1);

    // Rewrap the platform data key the way the worker will, then decrypt with a cold cache.
    const oldId = idOf(org, 'old');
    const warm = service();
    await warm.decrypt(org, before);
    const plaintext = warm.cache.get(org, oldId)?.key;
    if (!plaintext) throw new Error('expected the old data key in the cache');
    const wrapped = await providers.registry
      .providerFor({ orgId: org, wrappedBy: cmk.keyId, roleArn: cmk.roleArn, resolvedKeyArn: cmk.keyArn })
      .wrap(Buffer.from(plaintext), { org, dataKey: oldId });
    await handleCommand(store, dataKeyStream(oldId), dataKeyDecider, dataKeyCodec, {
      type: 'RewrapDataKey',
      data: { orgId: org, dataKeyId: oldId, reencryptionId: cmk.reencryptionId, sources: ['platform'], to: cmk.keyId, kekRef: wrapped.kekRef, wrapped: wrapped.wrapped.toString('base64') },
      metadata: meta(),
    });
    const decrypts = kms.stats().byOperation['Decrypt'] ?? 0;
    expect(await service().decrypt(org, before)).toEqual(['under platform']);
    expect(kms.stats().byOperation['Decrypt']).toBe(decrypts + 1);
  });

});
