import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OidcIssuer } from './oidc-issuer';
import { OidcSigningKeyStore, SIGNING_KEY_FILE } from './signing-key-store';

describe('OidcIssuer and its signing keys', () => {
  let dataDir: string;
  let clock = Date.parse('2030-01-01T00:00:00Z');
  const now = () => clock;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cmk-oidc-'));
  });
  afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

  async function open(): Promise<{ store: OidcSigningKeyStore; issuer: OidcIssuer }> {
    const store = await OidcSigningKeyStore.open({ dataDir, now, reloadIntervalMs: 0 });
    return { store, issuer: new OidcIssuer(store, { issuer: 'https://cmk.example.com/oidc/', now }) };
  }

  it('mints short-lived tokens with the org audience and subject, verifiable with the published JWKS', async () => {
    const { issuer } = await open();
    const token = await issuer.mintToken('acme');
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await issuer.jwks()), {
      issuer: 'https://cmk.example.com/oidc',
      audience: 'aws:acme',
      currentDate: new Date(clock),
    });
    expect(payload.sub).toBe('cmk:cmk:organization.login:acme');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(issuer.openIdConfiguration()).toMatchObject({ issuer: 'https://cmk.example.com/oidc', jwks_uri: 'https://cmk.example.com/oidc/.well-known/jwks' });
    expect(issuer.expectationsFor('acme').provider).toBe('cmk.example.com/oidc');
  });

  it('publishes only public key parts and keeps the file 0600', async () => {
    const { issuer } = await open();
    const { keys } = await issuer.jwks();
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect((await fs.stat(join(dataDir, SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
  });

  it('keeps the signing key across a restart', async () => {
    const before = decodeProtectedHeader(await (await open()).issuer.mintToken('acme')).kid;
    const after = decodeProtectedHeader(await (await open()).issuer.mintToken('acme')).kid;
    expect(after).toBe(before);
  });

  it('rotation: the new key signs, the old kid stays published until its tokens expired, then is pruned', async () => {
    const { store, issuer } = await open();
    const oldKid = decodeProtectedHeader(await issuer.mintToken('acme')).kid;
    const newKid = await store.rotate();
    expect(decodeProtectedHeader(await issuer.mintToken('acme')).kid).toBe(newKid);
    const restarted = await open();
    expect((await restarted.issuer.jwks()).keys.map((k) => k.kid)).toEqual([oldKid, newKid]);

    clock += 11 * 60_000; // past token TTL (5 min) + grace (5 min)
    expect((await issuer.jwks()).keys.map((k) => k.kid)).toEqual([newKid]);
    await store.rotate();
    expect((await open()).store).toBeDefined();
    expect(JSON.parse(await fs.readFile(join(dataDir, SIGNING_KEY_FILE), 'utf8')).keys).toHaveLength(2);
  });

  it('a pre-published key is in the JWKS before it signs', async () => {
    const { store, issuer } = await open();
    const oldKid = decodeProtectedHeader(await issuer.mintToken('acme')).kid;
    const nextKid = await store.rotate({ activateAfterMs: 60_000 });
    expect((await issuer.jwks()).keys.map((k) => k.kid)).toContain(nextKid);
    expect(decodeProtectedHeader(await issuer.mintToken('acme')).kid).toBe(oldKid);
    clock += 60_000;
    expect(decodeProtectedHeader(await issuer.mintToken('acme')).kid).toBe(nextKid);
  });
});
