import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationError, handleCommand } from '@cmk/application';
import { dataKeyCodec, dataKeyDecider, dataKeyStream, decodeDataKeyEvent, keyringCodec, keyringDecider, keyringStream, type EventMetadata } from '@cmk/domain';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { createKeyProviders, type DataKeyIdKey, type KeyProviders, type OidcIssuer } from '@cmk/key-providers';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { waitFor } from '@cmk/testing';
import { envelopeAad, formatEnvelope, NONCE_BYTES, sealValue } from './envelope';
import { dataKeyIdFor, legacyDataKeyIdFor } from './scope';
import { SecretsService, type SecretsServiceOptions } from './secrets-service';

/**
 * The bounds of issue 11 against a real store and the KMS emulator: generations after a (tiny)
 * use limit or age, never more encryptions per data key than the limit across replicas, legacy
 * ids, the per-org data-key limit, and the per-org share of the cache.
 */
const meta = (occurredAt = new Date()): EventMetadata => {
  const id = randomUUID();
  return { actor: 'user:test', requestId: id, correlationId: id, causationId: id, occurredAt: occurredAt.toISOString() };
};
let seq = 0;
const newOrg = () => `bounds-${++seq}-${randomUUID().slice(0, 8)}`;
const idOfCiphertext = (ciphertext: string) => ciphertext.split('.')[1];

async function failure(promise: Promise<unknown>): Promise<ApplicationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationError);
  return error as ApplicationError;
}

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

describe('data-key bounds on SQLite with the KMS emulator', () => {
  let dir: string;
  let store: EventStore;
  let kms: KmsEmulator;
  let issuer: Awaited<ReturnType<typeof serveIssuer>>;
  let providers: KeyProviders;
  const service = (options: SecretsServiceOptions = {}) => new SecretsService(store, providers.registry, options);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-bounds-'));
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

  function idKey(): DataKeyIdKey {
    const key = providers.registry.dataKeyIdKey;
    if (!key) throw new Error('createKeyProviders loads the data-key id key');
    return key;
  }

  async function dataKeyEvents(dataKeyId: string) {
    return (await store.readStream(dataKeyStream(dataKeyId))).map(decodeDataKeyEvent);
  }

  /** Makes a new CMK the org's default (a role that trusts our issuer); returns its key ARN. */
  async function cmkDefault(orgId: string): Promise<string> {
    const key = kms.createKey();
    const roleArn = `arn:aws:iam::${kms.accountId}:role/cmk/${orgId}`;
    kms.registerRole({ roleArn, trust: providers.issuer.expectationsFor(orgId), allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }] });
    const data = { orgId, keyId: randomUUID(), name: 'k', roleArn, keyArn: key.keyArn, resolvedKeyArn: key.keyArn, edition: 'enterprise' as const, reencryptionId: `re-${randomUUID().slice(0, 8)}` };
    await handleCommand(store, keyringStream(orgId), keyringDecider, keyringCodec, { type: 'AddKey', data, metadata: meta() });
    return key.keyArn;
  }

  it('starts a new generation after the use limit, never exceeds it per data key across two replicas, and every generation decrypts', async () => {
    const org = newOrg();
    const policy = { dataKeyUse: { maxUses: 8, reserveBlock: 4 } };
    const [a, b] = [service(policy), service(policy)];
    const ciphertexts: string[] = [];
    for (let round = 0; round < 10; round++) {
      // Both replicas encrypt at once, each reserving its own blocks in the same streams.
      const batches = await Promise.all([a.encrypt(org, 'busy', [`a${round}`]), b.encrypt(org, 'busy', [`b${round}`, `c${round}`])]);
      ciphertexts.push(...batches.flat());
    }
    const perKey = new Map<string, number>();
    for (const ciphertext of ciphertexts) perKey.set(idOfCiphertext(ciphertext), (perKey.get(idOfCiphertext(ciphertext)) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBeLessThanOrEqual(8);
    expect(perKey.size).toBeGreaterThanOrEqual(Math.ceil(ciphertexts.length / 8));

    // Generations are consecutive, each its own data key under its keyed id, with a recorded count >= its uses.
    const generations = [...perKey.keys()].map((id) => ({ id, uses: perKey.get(id) ?? 0 }));
    for (const { id, uses } of generations) {
      const events = await dataKeyEvents(id);
      const issued = events[0];
      if (issued?.type !== 'DataKeyIssued') throw new Error(`no DataKeyIssued on ${id}`);
      expect(id).toBe(dataKeyIdFor(idKey(), org, 'busy', issued.data.generation ?? 0));
      const reserved = Math.max(0, ...events.flatMap((e) => (e.type === 'DataKeyUseReserved' ? [e.data.upTo] : [])));
      expect(reserved).toBeGreaterThanOrEqual(uses);
      expect(reserved).toBeLessThanOrEqual(8);
    }
    const numbers = (await Promise.all(generations.map(async ({ id }) => (await dataKeyEvents(id))[0]))).map((e) => (e?.type === 'DataKeyIssued' ? e.data.generation : -1));
    expect([...numbers].sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(numbers.map((_, i) => i));

    expect(await service().decrypt(org, ciphertexts)).toEqual(ciphertexts.map((_, i) => [`a${Math.floor(i / 3)}`, `b${Math.floor(i / 3)}`, `c${Math.floor(i / 3)}`][i % 3]));
    expect(await failure(a.encrypt(org, 'busy', Array.from({ length: 9 }, () => 'x')))).toMatchObject({ code: 'BATCH_TOO_LARGE', httpStatus: 400 });
  });

  it('reserves uses in blocks (one append per block, not per request, ahead of need) and keeps what is unused across cache expiries', async () => {
    const org = newOrg();
    const s = service({ cache: { ttlMs: 200 } });
    const [first] = await s.encrypt(org, 'quiet', ['one']);
    const reservations = async () => (await dataKeyEvents(idOfCiphertext(first))).filter((e) => e.type === 'DataKeyUseReserved').map((e) => e.data);
    for (let i = 0; i < 11; i++) await s.encrypt(org, 'quiet', Array.from({ length: 50 }, () => 'v'));
    // 551 of 1 024 used: less than half a block left, so the next block is reserved ahead, while
    // the requests go on with what is left instead of waiting for the append.
    await waitFor(async () => (await reservations()).length === 2, { timeoutMs: 5_000, description: 'the block reserved ahead' });
    for (let i = 0; i < 10; i++) await s.encrypt(org, 'quiet', Array.from({ length: 50 }, () => 'v'));
    // 1 + 1 050 uses in 22 requests: the first block (1 024), then one doubled block (2 048).
    expect((await reservations()).map((r) => r.upTo)).toEqual([1024, 3072]);
    await waitFor(() => s.cache.sizeOf(org) === 0, { timeoutMs: 5_000, description: 'the key to expire from the cache' });
    await s.encrypt(org, 'quiet', ['after expiry']);
    expect(await reservations()).toHaveLength(2);
  });

  it('starts a new generation when a data key reaches its age limit; the old one still decrypts', async () => {
    const org = newOrg();
    const s = service({ dataKeyUse: { maxAgeMs: 300 } });
    const [first] = await s.encrypt(org, 'aging', ['old']);
    const [issued] = await dataKeyEvents(idOfCiphertext(first));
    const retiresAt = Date.parse(issued.metadata.occurredAt) + 300;
    await waitFor(() => Date.now() > retiresAt, { timeoutMs: 5_000, description: 'the first generation to age out' });
    const [second] = await s.encrypt(org, 'aging', ['new']);
    expect(idOfCiphertext(second)).toBe(dataKeyIdFor(idKey(), org, 'aging', 1));
    expect(await service().decrypt(org, [first, second])).toEqual(['old', 'new']);
  });

  it('keeps data keys with legacy (unkeyed) ids working: their ciphertexts decrypt and their scope encrypts under them until they retire', async () => {
    const org = newOrg();
    async function legacyScope(scope: string, issuedAt: Date): Promise<{ id: string; ciphertext: string }> {
      const id = legacyDataKeyIdFor(org, scope);
      const generated = await providers.registry.providerFor({ orgId: org, wrappedBy: 'platform' }).generateDataKey({ org, dataKey: id });
      const data = { orgId: org, dataKeyId: id, scope, wrappedBy: 'platform', kekRef: generated.kekRef, wrapped: generated.wrapped.toString('base64') };
      await handleCommand(store, dataKeyStream(id), dataKeyDecider, dataKeyCodec, { type: 'IssueDataKey', data, metadata: meta(issuedAt) });
      const nonce = randomBytes(NONCE_BYTES);
      const ciphertext = formatEnvelope(id, nonce, sealValue(generated.plaintext, envelopeAad(org, id, scope), nonce, Buffer.from(`legacy ${scope}`)));
      return { id, ciphertext };
    }
    const recent = await legacyScope('recent', new Date());
    const old = await legacyScope('old', new Date(Date.now() - 100 * 24 * 60 * 60 * 1000));
    const s = service();
    expect(await s.decrypt(org, [recent.ciphertext, old.ciphertext])).toEqual(['legacy recent', 'legacy old']);
    // The keyed id of generation 0 has no stream: the scope is found under its legacy id.
    const [again] = await s.encrypt(org, 'recent', ['more']);
    expect(idOfCiphertext(again)).toBe(recent.id);
    expect(await dataKeyEvents(dataKeyIdFor(idKey(), org, 'recent', 0))).toEqual([]);
    // Older than the 90-day default: generation 1, under a keyed id.
    const [moved] = await s.encrypt(org, 'old', ['next']);
    expect(idOfCiphertext(moved)).toBe(dataKeyIdFor(idKey(), org, 'old', 1));
    expect(await service().decrypt(org, [recent.ciphertext, again, old.ciphertext, moved])).toEqual(['legacy recent', 'more', 'legacy old', 'next']);
  });

  it('refuses a new scope beyond the per-org limit before any KMS call; existing scopes and their new generations go on', async () => {
    const org = newOrg();
    const keyArn = await cmkDefault(org);
    const s = service({ maxDataKeysPerOrg: 3, dataKeyUse: { maxUses: 2, reserveBlock: 2 } });
    for (const scope of ['s1', 's2', 's3']) await s.encrypt(org, scope, ['v']);
    const generated = kms.stats().byOperation['GenerateDataKey'] ?? 0;
    const refused = await failure(s.encrypt(org, 's4', ['v']));
    expect(refused).toMatchObject({ code: 'DATA_KEY_LIMIT_REACHED', httpStatus: 409, details: { max: 3 } });
    expect(refused.message).toContain('limit of 3 data keys');
    expect(kms.stats().byOperation['GenerateDataKey'] ?? 0).toBe(generated);
    expect(await s.quota.count(org)).toBe(3);
    // s1 used 1 of 2: one more fits, then generation 1 is issued although the org is at its limit.
    const [second] = await s.encrypt(org, 's1', ['a']);
    const [third] = await s.encrypt(org, 's1', ['b']);
    expect([idOfCiphertext(second), idOfCiphertext(third)]).toEqual([dataKeyIdFor(idKey(), org, 's1', 0), dataKeyIdFor(idKey(), org, 's1', 1)]);
    expect(await s.quota.count(org)).toBe(3);
    expect(kms.stats().byKeyArn[keyArn]).toBeGreaterThan(0);
  });

  it('holds the limit exactly under concurrent first uses from two replicas, and counts a raced scope once', async () => {
    const org = newOrg();
    const [a, b] = [service({ maxDataKeysPerOrg: 5 }), service({ maxDataKeysPerOrg: 5 })];
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).encrypt(org, `scope-${i}`, ['v'])));
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as ApplicationError).code] : []));
    expect(fulfilled).toHaveLength(5);
    expect(codes).toEqual(Array.from({ length: 7 }, () => 'DATA_KEY_LIMIT_REACHED'));
    expect(await a.quota.count(org)).toBe(5);

    // Six replicas race on one new scope: each takes a slot, the five whose issue loses give theirs back.
    const racedOrg = newOrg();
    const racers = Array.from({ length: 6 }, () => service({ maxDataKeysPerOrg: 10 }));
    await Promise.all(racers.map((racer, i) => racer.encrypt(racedOrg, 'same', [`v${i}`])));
    expect(await racers[0].quota.count(racedOrg)).toBe(1);
  });

  it("keeps org B's hot key cached (no extra KMS calls) while org A creates thousands of scopes", async () => {
    const orgA = newOrg();
    const orgB = newOrg();
    const keyArn = await cmkDefault(orgB);
    const s = service({ cache: { max: 400, maxPerOrg: 100 } });
    const [hot] = await s.encrypt(orgB, 'hot', ['b-secret']);
    const callsForB = () => kms.stats().byKeyArn[keyArn] ?? 0;
    const before = callsForB();
    // B does not touch its key during the flood: in one shared LRU of 400 it would be long gone.
    for (let start = 0; start < 2_000; start += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, i) => s.encrypt(orgA, `flood-${start + i}`, ['a'])));
    }
    expect(await s.decrypt(orgB, [hot])).toEqual(['b-secret']);
    await s.encrypt(orgB, 'hot', ['b-again']);
    expect(callsForB()).toBe(before);
    expect(s.cache.sizeOf(orgA)).toBe(100);
  });
});
