import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ApplicationError, handleCommand } from '@cmk/application';
import { keyHealthCodec, keyHealthDecider, keyHealthStream, webhooksStream } from '@cmk/domain';
import { startHealthRig, meta, type HealthRig } from '@cmk/key-health/testing';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { bullConnection } from '@cmk/reencryption';
import { usePrivateRedis, waitFor } from '@cmk/testing';
import { startWebhookFleet } from './fleet';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './settings';
import { SIGNATURE_HEADER, verifySignature } from './signature';
import { WebhooksService } from './webhooks-service';
import { systemResolver, type Resolver } from './url-policy';

const privateRedis = usePrivateRedis();
const quiet = { log: () => undefined, warn: () => undefined };
/** `receiver.test` exists only here: a delivery to it proves the request connects to the checked, pinned address. */
const resolve: Resolver = async (host) => (host === 'receiver.test' ? [{ address: '127.0.0.1', family: 4 }] : systemResolver(host));

/** A local receiver: answers from a script (503s first, then 200), records what it got and whether the signature verified. */
async function startReceiver() {
  const received: { body: string; signature: string | undefined; verified: boolean; event: string | undefined }[] = [];
  const plan: number[] = [];
  let secret = '';
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined;
      received.push({ body, signature, verified: verifySignature(signature, secret, body), event: req.headers['x-cmk-event'] as string | undefined });
      const status = plan.shift() ?? 200;
      res.writeHead(status, status === 302 ? { location: `http://127.0.0.1:${port()}/elsewhere` } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;
  return {
    url: (path = '/hook', host = '127.0.0.1') => `http://${host}:${port()}${path}`,
    received,
    respondWith: (...statuses: number[]) => plan.push(...statuses),
    useSecret: (value: string) => (secret = value),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('webhooks: signed deliveries to a local receiver, retries with backoff, delivery log, SSRF refusals', () => {
  const settings: WebhookSettings = { ...DEFAULT_WEBHOOK_SETTINGS, allowHttp: true, allowedHosts: ['127.0.0.1'], attempts: 4, backoffMs: 50, timeoutMs: 2_000 };
  let rig: HealthRig<KmsEmulator>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let fleet: { close(): Promise<void> };
  let service: WebhooksService;

  beforeAll(async () => {
    rig = await startHealthRig(privateRedis.redis, await startKmsEmulator());
    receiver = await startReceiver();
    const platform = rig.providers.registry.platformProvider;
    service = new WebhooksService(rig.store, privateRedis.redis, platform, settings, resolve);
    fleet = startWebhookFleet({ store: rig.store, redis: privateRedis.redis, connection: bullConnection(privateRedis.server.url, 'webhooks-test'), platform, settings, logger: quiet, workerName: 'w1', resolve });
  });
  afterAll(async () => {
    await fleet.close();
    receiver.close();
    await rig.close();
    await rig.kms.close();
  });

  async function healthChange(orgId: string, keyId: string, state: 'healthy' | 'disabled') {
    const data = { orgId, keyId, state, reason: `now ${state}`, ...(state === 'disabled' ? { code: 'KMS_KEY_DISABLED' } : {}), since: new Date().toISOString() };
    await handleCommand(rig.store, keyHealthStream(orgId), keyHealthDecider, keyHealthCodec, { type: 'RecordKeyHealth', data, metadata: meta('system') });
  }

  it('signs each delivery, retries after failures, and logs status, attempts and last error', async () => {
    const orgId = `wh-org-${randomUUID().slice(0, 8)}`;
    const { webhook, secret } = await service.create(orgId, { url: receiver.url(), events: ['key.health_changed'] }, meta());
    expect(secret).toMatch(/^whsec_/);
    // The secret is never stored in clear: not in the event, not anywhere in its stream.
    expect(JSON.stringify((await rig.store.readStream(webhooksStream(orgId))).map((e) => [e.data, e.metadata]))).not.toContain(secret);
    receiver.useSecret(secret);
    receiver.respondWith(503, 500);
    const before = receiver.received.length;
    await healthChange(orgId, 'key-1', 'disabled');

    const [record] = await waitFor(async () => {
      const log = await service.deliveries(orgId, webhook.id);
      return log.length === 1 && log[0].status === 'delivered' ? log : undefined;
    }, { timeoutMs: 20_000, description: 'the delivery to succeed' });
    expect(record).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null, eventType: 'key.health_changed' });
    const got = receiver.received.slice(before);
    expect(got).toHaveLength(3);
    expect(got.every((r) => r.verified)).toBe(true);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    expect(JSON.parse(got[2].body)).toMatchObject({ type: 'key.health_changed', org: orgId, data: { keyId: 'key-1', from: 'unknown', to: 'disabled', code: 'KMS_KEY_DISABLED' } });
    expect(got[2].event).toBe('key.health_changed');
  });

  it('gives up after the configured attempts and says why; a redirect is not followed', async () => {
    const orgId = `wh-org-${randomUUID().slice(0, 8)}`;
    const { webhook, secret } = await service.create(orgId, { url: receiver.url(), events: ['key.health_changed'] }, meta());
    receiver.useSecret(secret);
    receiver.respondWith(302, 302, 302, 302);
    const before = receiver.received.length;
    await healthChange(orgId, 'key-2', 'healthy');
    const [record] = await waitFor(async () => {
      const log = await service.deliveries(orgId, webhook.id);
      return log[0]?.status === 'failed' ? log : undefined;
    }, { timeoutMs: 20_000, description: 'the delivery to fail for good' });
    expect(record).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 302, lastError: 'HTTP 302 (redirects are not followed)' });
    expect(receiver.received.slice(before).map((r) => JSON.parse(r.body).type)).toEqual(Array(4).fill('key.health_changed'));
  });

  it('refuses SSRF targets and plain http when not allowed, before anything is stored', async () => {
    const strict = new WebhooksService(rig.store, privateRedis.redis, rig.providers.registry.platformProvider, DEFAULT_WEBHOOK_SETTINGS);
    const orgId = `wh-org-${randomUUID().slice(0, 8)}`;
    for (const [url, code] of [
      [receiver.url(), 'WEBHOOK_URL_INVALID'],
      ['https://127.0.0.1/hook', 'WEBHOOK_URL_FORBIDDEN'],
      ['https://169.254.169.254/latest/meta-data', 'WEBHOOK_URL_FORBIDDEN'],
      ['https://10.0.0.8/hook', 'WEBHOOK_URL_FORBIDDEN'],
      ['https://localhost/hook', 'WEBHOOK_URL_FORBIDDEN'],
    ] as const) {
      const error = await strict.create(orgId, { url, events: ['key.health_changed'] }, meta()).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ApplicationError);
      expect((error as ApplicationError).code).toBe(code);
    }
    expect(await rig.store.readStream(webhooksStream(orgId))).toEqual([]);
  });

  it('does not deliver events a webhook did not subscribe to, nor to a deleted webhook', async () => {
    const orgId = `wh-org-${randomUUID().slice(0, 8)}`;
    const runs = await service.create(orgId, { url: receiver.url('/runs'), events: ['reencryption.completed'] }, meta());
    const gone = await service.create(orgId, { url: receiver.url('/gone'), events: ['key.health_changed'] }, meta());
    await service.delete(orgId, gone.webhook.id, meta());
    const watcher = await service.create(orgId, { url: receiver.url('/watch'), events: ['key.health_changed'] }, meta());
    receiver.useSecret(watcher.secret);
    await healthChange(orgId, 'key-3', 'healthy');
    await waitFor(async () => (await service.deliveries(orgId, watcher.webhook.id))[0]?.status === 'delivered', { timeoutMs: 20_000, description: 'the watcher delivery' });
    expect(await service.deliveries(orgId, runs.webhook.id)).toEqual([]);
    expect(await service.deliveries(orgId, gone.webhook.id)).toEqual([]);
    expect((await service.list(orgId)).map((w) => w.id).sort()).toEqual([runs.webhook.id, watcher.webhook.id].sort());
  });

  it('connects to the address the policy checked for a host name (pinned lookup)', async () => {
    const orgId = `wh-org-${randomUUID().slice(0, 8)}`;
    const { webhook, secret } = await service.create(orgId, { url: receiver.url('/pinned', 'receiver.test'), events: ['key.health_changed'] }, meta());
    receiver.useSecret(secret);
    await healthChange(orgId, 'key-4', 'healthy');
    const [record] = await waitFor(async () => {
      const log = await service.deliveries(orgId, webhook.id);
      return log[0]?.status === 'delivered' ? log : undefined;
    }, { timeoutMs: 20_000, description: 'delivery through the pinned address' });
    expect(record).toMatchObject({ attempts: 1, lastStatusCode: 200 });
  });
});
