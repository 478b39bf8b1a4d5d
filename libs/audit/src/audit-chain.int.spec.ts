import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { auditStream, keyringStream, orgStream, dataKeyStream } from '@cmk/domain';
import { openEsdbEventStore, openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { startEsdbEmulator, type EsdbEmulator } from '@cmk/esdb-emulator';
import { OidcSigningKeyStore } from '@cmk/key-providers';
import { waitFor } from '@cmk/testing';
import { AuditChainer } from './chainer';
import { DigestKeyArchive } from './digest-key-archive';
import { exportAudit, type ExportLine } from './export';
import { signDigest, type DigestPayload } from './digest';
import { verifyExport } from './verify';
import { oidcDigestSigner } from './worker-adapters';
import { readFeed } from './feed';

const meta = (actor = 'user:alice') => ({ actor, requestId: randomUUID(), correlationId: randomUUID(), causationId: randomUUID(), occurredAt: new Date().toISOString() });

async function* iterate(lines: readonly unknown[]) {
  for (const line of lines) yield JSON.parse(JSON.stringify(line));
}

describe.each(['sqlite', 'esdb'] as const)('audit chain on the %s store (chainer, export, verify)', (kind) => {
  let dir: string;
  let store: EventStore;
  let esdb: EsdbEmulator | undefined;
  let keys: OidcSigningKeyStore;
  let chainer: AuditChainer;
  const org = 'acme';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-audit-'));
    esdb = kind === 'esdb' ? await startEsdbEmulator() : undefined;
    store = esdb ? await openEsdbEventStore({ url: esdb.url }) : await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    keys = await OidcSigningKeyStore.open({ dataDir: dir, reloadIntervalMs: 0 });
    chainer = new AuditChainer({ store, signer: oidcDigestSigner(keys), archive: new DigestKeyArchive(dir), digestIntervalMs: 3_600_000 }).start();
    await store.appendToStream(orgStream(org), [
      { id: randomUUID(), type: 'OrganizationRegistered', data: { orgId: org, name: 'Acme', edition: 'enterprise' }, metadata: meta('operator') },
      { id: randomUUID(), type: 'AccessTokenIssued', data: { orgId: org, tokenId: 't1', user: 'alice', role: 'admin', sha256: 'a'.repeat(64) }, metadata: meta('operator') },
    ]);
    await store.appendToStream(orgStream('other'), [{ id: randomUUID(), type: 'OrganizationRegistered', data: { orgId: 'other', name: 'O', edition: 'free' }, metadata: meta('operator') }]);
    await store.appendToStream(dataKeyStream('dk1'), [
      { id: randomUUID(), type: 'DataKeyIssued', data: { orgId: org, dataKeyId: 'dk1', scope: 's', wrappedBy: 'platform', kekRef: 'platform:v1', wrapped: 'c2VjcmV0' }, metadata: meta('system') },
    ]);
    // An event type nobody here knows (e.g. from a newer release) is chained all the same.
    await store.appendToStream(keyringStream(org), [{ id: randomUUID(), type: 'KeyHealthChanged', data: { orgId: org, keyId: 'k1', health: 'degraded' }, metadata: meta('system') }]);
    await store.appendToStream(keyringStream(org), [{ id: randomUUID(), type: 'ReencryptionCompleted', data: { orgId: org, reencryptionId: 're-1', rewrapped: 0, failed: 0 }, metadata: meta('system') }], { expectedRevision: 0n });
  });

  afterAll(async () => {
    await chainer.stop();
    await store.close();
    await esdb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const exported = async (): Promise<ExportLine[]> => {
    const lines: ExportLine[] = [];
    for await (const line of exportAudit(store, org, { keys: await new DigestKeyArchive(dir).all() })) lines.push(line);
    return lines;
  };

  const signedThroughEnd = async () => {
    const lines = await exported();
    const end = lines[lines.length - 1];
    return end.kind === 'end' && end.events === 5 && end.signedThrough === 5 ? lines : undefined;
  };

  it('links every org event (and only the org\'s), signs at the end of a run, and the export verifies', async () => {
    const lines = await waitFor(signedThroughEnd, { description: 'chain signed through seq 5' });
    const events = lines.filter((l) => l.kind === 'event');
    expect(events.map((e) => e.type)).toEqual(['OrganizationRegistered', 'AccessTokenIssued', 'DataKeyIssued', 'KeyHealthChanged', 'ReencryptionCompleted']);
    const text = JSON.stringify(lines);
    expect(text).not.toContain('a'.repeat(64));
    expect(text).not.toContain('c2VjcmV0');
    const report = await verifyExport(iterate(lines));
    expect(report).toMatchObject({ ok: true, events: 5, chainedThrough: 5, signedThrough: 5, problem: null });
    const digest = lines.find((l) => l.kind === 'digest');
    expect(digest && JSON.parse(Buffer.from(digest.jws.split('.')[1], 'base64url').toString())).toMatchObject({ org, fromSeq: 1, toSeq: 5, trigger: 'run-end:re-1', previousDigest: null });
  });

  it('names an altered, a removed and a reordered event', async () => {
    const lines = await waitFor(signedThroughEnd);
    const at = (type: string) => lines.findIndex((l) => l.kind === 'event' && l.type === type);
    const altered = lines.map((l, i) => (i === at('AccessTokenIssued') && l.kind === 'event' ? { ...l, data: { ...l.data, role: 'member' } } : l));
    expect((await verifyExport(iterate(altered))).problem).toMatchObject({ kind: 'altered', seq: 2, stream: 'org-acme' });
    const removed = lines.filter((_, i) => i !== at('DataKeyIssued'));
    expect((await verifyExport(iterate(removed))).problem).toMatchObject({ kind: 'missing', seq: 3 });
    const swapped = [...lines];
    [swapped[at('DataKeyIssued')], swapped[at('KeyHealthChanged')]] = [swapped[at('KeyHealthChanged')], swapped[at('DataKeyIssued')]];
    expect((await verifyExport(iterate(swapped))).problem).toMatchObject({ kind: 'reordered', seq: 3 });
  });

  it('refuses a digest re-signed with a foreign key, even one smuggled into the export', async () => {
    const lines = await waitFor(signedThroughEnd);
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const i = lines.findIndex((l) => l.kind === 'digest');
    const original = lines[i];
    if (original.kind !== 'digest') throw new Error('fixture');
    const payload = JSON.parse(Buffer.from(original.jws.split('.')[1], 'base64url').toString()) as DigestPayload;
    const forged = await signDigest(payload, { kid: original.kid, alg: 'RS256', privateKey });
    const tampered = lines.map((l, j) => (j === i ? { ...original, jws: forged } : l));
    expect((await verifyExport(iterate(tampered))).problem).toMatchObject({ kind: 'digest' });
    const foreignJwk = { ...(await exportJWK(publicKey)), kid: 'foreign', alg: 'RS256' };
    const smuggled = await signDigest(payload, { kid: 'foreign', alg: 'RS256', privateKey });
    const withKey = lines.map((l, j) => (j === i ? { ...original, jws: smuggled } : l.kind === 'keys' ? { ...l, keys: [...l.keys, foreignJwk] } : l));
    const trusted = (await new DigestKeyArchive(dir).all());
    expect((await verifyExport(iterate(withKey), { trustedKeys: trusted })).problem).toMatchObject({ kind: 'digest' });
  });

  it('keeps digests verifiable after the OIDC key rotates: every key that signed one stays in the digest key archive', async () => {
    const before = await waitFor(signedThroughEnd);
    const oldKid = before.find((l) => l.kind === 'digest')?.kid;
    await keys.rotate();
    await keys.rotate();
    await store.appendToStream(orgStream(org), [{ id: randomUUID(), type: 'AccessTokenRevoked', data: { orgId: org, tokenId: 't1' }, metadata: meta('operator') }]);
    await waitFor(async () => {
      const lines = await exported();
      const end = lines[lines.length - 1];
      return end.kind === 'end' && end.chainedThrough === 6;
    });
    await chainer.signAll('schedule');
    const lines = await exported();
    const report = await verifyExport(iterate(lines), { trustedKeys: await new DigestKeyArchive(dir).all() });
    expect(report).toMatchObject({ ok: true, signedThrough: 6, digests: 2 });
    expect(report.signingKeys).toHaveLength(2);
    expect(report.signingKeys).toContain(oldKid);
    // How events fall into link batches depends on the store's delivery; the digests do not.
    const records = (await store.readStream(auditStream(org))).map((e) => e.type);
    expect(records.filter((t) => t === 'AuditDigestSigned')).toHaveLength(2);
    expect(records[records.length - 1]).toBe('AuditDigestSigned');

    // --since: starts at the first batch reaching that time, anchored on the link before it.
    const revokedAt = lines.find((l) => l.kind === 'event' && l.type === 'AccessTokenRevoked');
    if (revokedAt?.kind !== 'event' || !revokedAt.occurredAt) throw new Error('fixture');
    const since: ExportLine[] = [];
    for await (const line of exportAudit(store, org, { keys: await new DigestKeyArchive(dir).all(), since: new Date(revokedAt.occurredAt) })) since.push(line);
    expect(since.filter((l) => l.kind === 'event').map((l) => l.kind === 'event' && l.type)).toEqual(['AccessTokenRevoked']);
    expect(since.find((l) => l.kind === 'anchor')).toMatchObject({ seq: 5 });
    expect(await verifyExport(iterate(since))).toMatchObject({ ok: true, events: 1, signedThrough: 6, digests: 1 });
  });

  it('pages the feed with a stable cursor and filters by type and actor', async () => {
    const first = await readFeed(store, org, { limit: '2' });
    expect(first.events.map((e) => e.type)).toEqual(['OrganizationRegistered', 'AccessTokenIssued']);
    const second = await readFeed(store, org, { after: first.nextCursor ?? undefined, limit: '10' });
    expect(second.events[0].type).toBe('DataKeyIssued');
    expect(second.nextCursor).toBeNull();
    expect((await readFeed(store, org, { actor: 'system' })).events.map((e) => e.type)).toEqual(['DataKeyIssued', 'KeyHealthChanged', 'ReencryptionCompleted']);
    expect((await readFeed(store, org, { type: 'AccessTokenIssued,AccessTokenRevoked' })).events).toHaveLength(2);
    await expect(readFeed(store, org, { limit: '501' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', httpStatus: 400 });
    await expect(readFeed(store, org, { from: 'yesterday' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
