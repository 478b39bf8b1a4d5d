import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { handleCommand } from '@cmk/application';
import { decodeKeyringEvent, encodeKeyringEvent, keyringDecider, keyringStream, type EventMetadata } from '@cmk/domain';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { createKeyProviders, type KeyProviders, type OidcIssuer } from '@cmk/key-providers';
import { startProjections, ReadModelQueries, type ProjectionRunner } from '@cmk/read-models';

export const meta = (actor = 'user:test'): EventMetadata => {
  const id = randomUUID();
  return { actor, requestId: id, correlationId: id, causationId: id, occurredAt: new Date().toISOString() };
};

/** What the rig needs of the KMS/STS emulator (the spec starts it: libraries never import tools). */
export interface RigEmulator {
  readonly url: string;
  readonly accountId: string;
  createKey(): { keyArn: string };
  registerRole(definition: RigRole): unknown;
}

export interface RigRole {
  readonly roleArn: string;
  readonly trust: { issuer: string; audience: string; subject: string };
  readonly allow: { keyArn: string; actions: string[] }[];
}

/**
 * What key-health and webhook integration specs share: a SQLite store, the KMS/STS emulator
 * whose STS fetches our real issuer's JWKS over HTTP, the real key providers, and projections
 * into the spec's private Redis, plus a way to add a customer key the way the api does.
 */
export interface HealthRig<K extends RigEmulator = RigEmulator> {
  readonly store: EventStore;
  readonly kms: K;
  readonly providers: KeyProviders;
  readonly queries: ReadModelQueries;
  readonly projections: ProjectionRunner;
  addKey(orgId: string): Promise<{ keyId: string; keyArn: string; roleArn: string; role: RigRole }>;
  close(): Promise<void>;
}

export async function startHealthRig<K extends RigEmulator>(redis: Redis, kms: K): Promise<HealthRig<K>> {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-health-'));
  const store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  // Bound once the providers exist (the issuer URL needs the server's port first).
  const served: { issuer?: OidcIssuer } = {};
  const server: Server = createServer((req, res) => {
    const answer = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const { issuer } = served;
    if (!issuer) res.writeHead(503).end();
    else if (req.url === '/oidc/.well-known/openid-configuration') answer(issuer.openIdConfiguration());
    else if (req.url === '/oidc/.well-known/jwks') issuer.jwks().then(answer, () => res.writeHead(500).end());
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const providers = await createKeyProviders({ dataDir: dir, publicUrl, aws: { kmsEndpoint: kms.url, stsEndpoint: kms.url, maxAttempts: 1 } });
  served.issuer = providers.issuer;
  const projections = startProjections({ store, redis });
  const queries = new ReadModelQueries(redis);

  return {
    store,
    kms,
    providers,
    queries,
    projections,
    async addKey(orgId) {
      const key = kms.createKey();
      const expected = providers.issuer.expectationsFor(orgId);
      const roleArn = `arn:aws:iam::${kms.accountId}:role/cmk-${orgId}-${randomUUID().slice(0, 6)}`;
      const role: RigRole = { roleArn, trust: { issuer: expected.issuer, audience: expected.audience, subject: expected.subject }, allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }] };
      kms.registerRole(role);
      const keyId = randomUUID();
      const data = { orgId, keyId, name: `key-${keyId.slice(0, 6)}`, roleArn, keyArn: key.keyArn, resolvedKeyArn: key.keyArn, edition: 'enterprise' as const, reencryptionId: `re-${randomUUID().replace(/-/g, '')}` };
      const result = await handleCommand(store, keyringStream(orgId), keyringDecider, { decode: decodeKeyringEvent, encode: encodeKeyringEvent }, { type: 'AddKey', data, metadata: meta() });
      if (result.position) await projections.waitForPosition(result.position, 10_000);
      return { keyId, keyArn: key.keyArn, roleArn, role };
    },
    async close() {
      await projections.stop();
      providers.close();
      await store.close();
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
