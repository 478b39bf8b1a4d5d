import { Redis } from 'ioredis';
import { E2eEnvironment } from './e2e-environment';
import { waitFor, type HttpClient } from '@cmk/testing';

/** Reads an SSE response incrementally, so a test can wait for the next frame or for the end. */
class StreamReader {
  private buffer = '';
  private ended = false;
  private readonly decoder = new TextDecoder();

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Reads until `predicate` holds for the text received so far (or the stream ends). */
  async until(predicate: (text: string) => boolean): Promise<string> {
    while (!predicate(this.buffer) && !this.ended) {
      const { done, value } = await this.reader.read();
      if (done) this.ended = true;
      else this.buffer += this.decoder.decode(value, { stream: true });
    }
    return this.buffer;
  }

  async end(): Promise<string> {
    return this.until(() => false);
  }

  get hasEnded(): boolean {
    return this.ended;
  }
}

const MAX_PER_ORG = 3;

/** One series of the api's Prometheus text (undefined when absent). */
async function metric(env: E2eEnvironment, series: string): Promise<number | undefined> {
  const text = String((await env.operator().get<string>('/metrics')).body);
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/**
 * The browser progress stream: a ticket (bearer, admin) opens `GET …/reencryption/stream` for a
 * minute, for one org, for as long as the token stays valid; the stream sends the banner, `idle`
 * before any run, and heartbeat comments.
 */
describe('re-encryption progress stream for browsers', () => {
  let env: E2eEnvironment;
  let admin: HttpClient;
  let adminTokenId: string;
  let neighbourAdmin: HttpClient;
  let redis: Redis;

  beforeAll(async () => {
    env = await E2eEnvironment.start({ env: { CMK_STREAM_HEARTBEAT_MS: '200', CMK_STREAM_POLL_MS: '200', CMK_STREAM_MAX_PER_ORG: String(MAX_PER_ORG) } });
    await env.operator().post('/api/admin/orgs', { login: 'streamer', edition: 'enterprise' });
    await env.operator().post('/api/admin/orgs', { login: 'neighbour', edition: 'enterprise' });
    const issued = await env.operator().post<{ token: string; tokenId: string }>('/api/admin/orgs/streamer/tokens', { user: 'sam', role: 'admin' });
    admin = env.anonymous().withToken(issued.body.token);
    adminTokenId = issued.body.tokenId;
    neighbourAdmin = await env.tokenFor('neighbour', 'admin');
    redis = new Redis(env.redis.url);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await env?.stop();
  });

  const ticket = async (client: HttpClient, org = 'streamer') => (await client.post<{ ticket: string; expiresAt: string }>(`/api/orgs/${org}/customer-managed-keys/reencryption/stream-tickets`)).body;
  const open = async (org: string, value: string, signal?: AbortSignal) =>
    fetch(`${env.baseUrl}/api/orgs/${org}/customer-managed-keys/reencryption/stream?ticket=${encodeURIComponent(value)}`, { signal, headers: { accept: 'text/event-stream' } });

  it('stores tickets hashed, for at most a minute', async () => {
    const issued = await ticket(admin);
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    const keys = await redis.keys('cmk:stream-ticket:*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((key) => key.includes(issued.ticket))).toBe(false);
    for (const key of keys) expect(await redis.ttl(key)).toBeLessThanOrEqual(60);
    const stored = await Promise.all(keys.map((key) => redis.get(key)));
    expect(stored.join()).not.toContain(issued.ticket);
  });

  it('sends idle before the first run, a reconnect delay, and heartbeats', async () => {
    const abort = new AbortController();
    const response = await open('streamer', (await ticket(admin)).ticket, abort.signal);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const stream = new StreamReader(response.body!.getReader());
    const text = await stream.until((received) => received.includes(': heartbeat'));
    expect(text).toMatch(/^retry: 3000\n\n/);
    expect(text).toContain('event: idle\ndata: null\n\n');
    abort.abort();
  });

  it('refuses a ticket of another org, a forged one, and none at all', async () => {
    const issued = await ticket(admin);
    for (const response of [await open('neighbour', issued.ticket), await open('streamer', 'A'.repeat(43)), await fetch(`${env.baseUrl}/api/orgs/streamer/customer-managed-keys/reencryption/stream`)]) {
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'INVALID_TICKET' } });
    }
  });

  it('serves all streams of one org from one shared poll, caps them per org, and frees the slots when clients leave', async () => {
    const abort = new AbortController();
    const issued = await ticket(admin);
    const streams: StreamReader[] = [];
    for (let i = 0; i < MAX_PER_ORG; i += 1) {
      const response = await open('streamer', issued.ticket, abort.signal);
      expect(response.status).toBe(200);
      streams.push(new StreamReader(response.body!.getReader()));
    }
    for (const stream of streams) await stream.until((text) => text.includes('event: idle'));

    const refused = await open('streamer', issued.ticket);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: { code: 'STREAM_LIMIT_REACHED', message: expect.stringContaining(`${MAX_PER_ORG} live progress streams`) as string, details: { limit: MAX_PER_ORG, scope: 'org' } } });
    // The cap is per org: a neighbour still gets its stream (and its own poll loop).
    const neighbourAbort = new AbortController();
    const neighbour = await open('neighbour', (await ticket(neighbourAdmin, 'neighbour')).ticket, neighbourAbort.signal);
    expect(neighbour.status).toBe(200);
    await new StreamReader(neighbour.body!.getReader()).until((text) => text.includes('event: idle'));

    expect(await metric(env, 'cmk_live_streams')).toBe(MAX_PER_ORG + 1);
    expect(await metric(env, 'cmk_live_stream_poll_loops')).toBe(2);
    expect(await metric(env, 'cmk_live_streams_refused_total{cap="org"}')).toBe(1);

    abort.abort();
    neighbourAbort.abort();
    await waitFor(async () => (await metric(env, 'cmk_live_streams')) === 0 && (await metric(env, 'cmk_live_stream_poll_loops')) === 0, { description: 'the slots and poll loops to be released' });
    const again = await open('streamer', issued.ticket, AbortSignal.timeout(30_000));
    expect(again.status).toBe(200);
    await again.body!.cancel();
  });

  it('ends a stream after CMK_STREAM_MAX_SECONDS; the client reconnects', async () => {
    const replica = await env.startApiReplica({ CMK_STREAM_MAX_SECONDS: '1', CMK_STREAM_POLL_MS: '100' });
    const response = await fetch(`${replica.baseUrl}/api/orgs/streamer/customer-managed-keys/reencryption/stream?ticket=${encodeURIComponent((await ticket(admin)).ticket)}`);
    expect(response.status).toBe(200);
    const stream = new StreamReader(response.body!.getReader());
    const text = await stream.end();
    expect(stream.hasEnded).toBe(true);
    expect(text).toMatch(/^retry: 3000\n\n/);
    expect(text).toContain('event: idle');
    await replica.process.stop();
  });

  it('ends an open stream when its token is revoked, and the ticket opens nothing afterwards', async () => {
    const issued = await ticket(admin);
    const response = await open('streamer', issued.ticket);
    const stream = new StreamReader(response.body!.getReader());
    await stream.until((text) => text.includes('event: idle'));
    expect((await env.operator().post(`/api/admin/orgs/streamer/tokens/${adminTokenId}/revoke`)).status).toBe(201);
    await stream.end();
    expect(stream.hasEnded).toBe(true);
    expect((await open('streamer', issued.ticket)).status).toBe(401);
  });
});
