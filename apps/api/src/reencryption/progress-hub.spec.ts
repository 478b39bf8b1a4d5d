import { waitFor } from '@cmk/testing';
import type { LiveBanner } from '@cmk/reencryption';
import type { ApiConfig } from '../config';
import type { LiveReencryptionService } from './live-reencryption.service';
import { ProgressHub, type ProgressUpdate } from './progress-hub';
import { StreamSlots } from './stream-slots';

const config = (streams: Partial<ApiConfig['streams']> = {}) => ({ streams: { heartbeatMs: 15_000, pollMs: 10, maxSeconds: 300, maxPerOrg: 10, maxTotal: 500, ...streams } }) as ApiConfig;

/** A progress source that counts its reads per org. */
function source() {
  const reads = new Map<string, number>();
  const live = {
    banner: async (orgId: string) => {
      reads.set(orgId, (reads.get(orgId) ?? 0) + 1);
      return { id: `${orgId}-run`, state: 'running', done: reads.get(orgId) ?? 0, failed: 0 } as unknown as LiveBanner;
    },
  } as unknown as LiveReencryptionService;
  return { live, reads: (orgId: string) => reads.get(orgId) ?? 0 };
}

describe('ProgressHub: one poll per org, however many streams', () => {
  it('polls an org once per interval for all of its listeners, and stops with the last one', async () => {
    const { live, reads } = source();
    const hub = new ProgressHub(live, config());
    const received: ProgressUpdate[][] = Array.from({ length: 5 }, () => []);
    const leave = received.map((list) => hub.subscribe('acme', (update) => void list.push(update)));
    await waitFor(() => received.every((list) => list.length >= 3), { description: 'three polls delivered to every listener' });
    for (const unsubscribe of leave) unsubscribe();
    expect(hub.loopCount).toBe(0);
    // Five listeners, one loop: each poll went to all of them (at most one more poll was in flight
    // when they left), never five polls per interval.
    const polls = reads('acme');
    expect(polls).toBe(hub.polls);
    for (const list of received) expect(list.length).toBe(received[0].length);
    expect(polls - received[0].length).toBeGreaterThanOrEqual(0);
    expect(polls - received[0].length).toBeLessThanOrEqual(1);
    expect(received[0].map((update) => update?.banner?.done)).toEqual(received[4].map((update) => update?.banner?.done));
  });

  it('keeps one loop per org, and gives a late listener the last result at once', async () => {
    const { live, reads } = source();
    const hub = new ProgressHub(live, config({ pollMs: 60_000 }));
    const first: ProgressUpdate[] = [];
    const other: ProgressUpdate[] = [];
    const leaveFirst = hub.subscribe('acme', (update) => void first.push(update));
    const leaveOther = hub.subscribe('globex', (update) => void other.push(update));
    await waitFor(() => first.length === 1 && other.length === 1, { description: 'the first polls' });
    expect(hub.loopCount).toBe(2);
    const late: ProgressUpdate[] = [];
    const leaveLate = hub.subscribe('acme', (update) => void late.push(update));
    await waitFor(() => late.length === 1, { description: 'the late listener to get the last result' });
    expect(late[0]).toBe(first[0]);
    expect(reads('acme')).toBe(1);
    leaveFirst();
    leaveOther();
    leaveLate();
    hub.onApplicationShutdown();
  });

  it('keeps ticking its listeners when a poll fails (so they still heartbeat and re-check tokens)', async () => {
    let fail = true;
    const live = { banner: async () => (fail ? Promise.reject(new Error('Redis is down')) : null) } as unknown as LiveReencryptionService;
    const hub = new ProgressHub(live, config());
    const received: ProgressUpdate[] = [];
    const leave = hub.subscribe('acme', (update) => void received.push(update));
    await waitFor(() => received.length >= 2, { description: 'ticks during the outage' });
    expect(received.slice(0, 2)).toEqual([undefined, undefined]);
    fail = false;
    await waitFor(() => received.some((update) => update !== undefined), { description: 'a tick after the outage' });
    expect(received.find((update) => update !== undefined)).toEqual({ banner: null });
    leave();
  });
});

describe('StreamSlots: connection caps per org and per replica', () => {
  it('refuses past the org cap with 429 and past the replica cap with 503, and gives slots back once', () => {
    const slots = new StreamSlots(config({ maxPerOrg: 2, maxTotal: 3 }));
    const a1 = slots.acquire('acme');
    slots.acquire('acme');
    expect(() => slots.acquire('acme')).toThrow(expect.objectContaining({ code: 'STREAM_LIMIT_REACHED', httpStatus: 429, details: { limit: 2, scope: 'org' } }));
    slots.acquire('globex');
    expect(() => slots.acquire('initech')).toThrow(expect.objectContaining({ code: 'STREAM_CAPACITY_REACHED', httpStatus: 503 }));
    expect(slots.refused).toEqual({ org: 1, total: 1 });
    a1();
    a1();
    expect(slots.total).toBe(2);
    expect(() => slots.acquire('acme')).not.toThrow();
  });
});
