import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  CancelledError,
  END,
  EventStoreDBClient,
  jsonEvent,
  NO_STREAM,
  START,
  StreamNotFoundError,
  streamNameFilter,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type Position,
} from '@eventstore/db-client';
import { waitFor } from '@cmk/testing';
import { startEsdbEmulator, type EsdbEmulator } from './index';

// The official client talks to the emulator exactly as it would to a real server.
describe('esdb-emulator (through @eventstore/db-client)', () => {
  let emulator: EsdbEmulator;
  let client: EventStoreDBClient;

  beforeAll(async () => {
    emulator = await startEsdbEmulator();
    client = EventStoreDBClient.connectionString(emulator.url);
  });

  afterAll(async () => {
    await client.dispose();
    await emulator.close();
  });

  afterEach(() => emulator.resetFaults());

  const stream = (name: string) => `${name}-${randomUUID()}`;
  const event = (n: number, id: string = randomUUID()) => jsonEvent({ id, type: 'Happened', data: { n }, metadata: { by: 'test' } });

  it('appends and reads a stream forwards and backwards with revisions, positions and JSON', async () => {
    const name = stream('order');
    const first = await client.appendToStream(name, [event(1), event(2)], { expectedRevision: NO_STREAM });
    expect(first.nextExpectedRevision).toBe(1n);
    await client.appendToStream(name, event(3), { expectedRevision: 1n });

    const forwards = [];
    for await (const resolved of client.readStream(name)) forwards.push(resolved.event);
    expect(forwards.map((e) => [e?.revision, e?.data, e?.metadata])).toEqual([
      [0n, { n: 1 }, { by: 'test' }],
      [1n, { n: 2 }, { by: 'test' }],
      [2n, { n: 3 }, { by: 'test' }],
    ]);
    expect(forwards[1]?.position?.commit).toBe(first.position?.commit);

    const backwards = [];
    for await (const resolved of client.readStream(name, { direction: BACKWARDS, fromRevision: END, maxCount: 2 })) {
      backwards.push(resolved.event?.revision);
    }
    expect(backwards).toEqual([2n, 1n]);
  });

  it('answers a wrong expected revision with the current revision, or no stream', async () => {
    const name = stream('wrong');
    await expect(client.appendToStream(name, event(1), { expectedRevision: 0n })).rejects.toMatchObject({
      actualVersion: 'no_stream',
      expectedVersion: 0n,
    });
    await client.appendToStream(name, event(1));
    const error = await client.appendToStream(name, event(2), { expectedRevision: NO_STREAM }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ actualVersion: 0n, expectedVersion: 'no_stream' });
  });

  it('treats the same event ids at the same expected revision as one write', async () => {
    const name = stream('idem');
    const events = [event(1), event(2)];
    const first = await client.appendToStream(name, events, { expectedRevision: NO_STREAM });
    const again = await client.appendToStream(name, events, { expectedRevision: NO_STREAM });
    expect(again).toMatchObject({ nextExpectedRevision: 1n, position: first.position });
    const read = [];
    for await (const resolved of client.readStream(name)) read.push(resolved.event?.id);
    expect(read).toEqual(events.map((e) => e.id));
  });

  it('reports a missing stream with the stream-not-found message', async () => {
    const reading = async () => {
      for await (const _ of client.readStream(stream('missing'))) return;
    };
    await expect(reading()).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('reads $all forwards from an inclusive position, including system events', async () => {
    const name = stream('all');
    const { position } = await client.appendToStream(name, [event(1), event(2)]);
    const fromLast = [];
    for await (const resolved of client.readAll({ fromPosition: position, maxCount: 10 })) fromLast.push(resolved.event?.streamId);
    expect(fromLast).toEqual([name]);
    const head = [];
    for await (const resolved of client.readAll({ fromPosition: START, maxCount: 1 })) head.push(resolved.event?.streamId);
    expect(head[0]?.startsWith('$')).toBe(true);
  });

  it('subscribes to $all with a prefix filter: confirmation, checkpoints, caught-up, then live events', async () => {
    const prefix = `sub${randomUUID().slice(0, 8)}-`;
    await client.appendToStream(`${prefix}a`, event(1));
    for (let i = 0; i < 40; i++) await client.appendToStream(stream('noise'), event(i));
    const checkpoints: Position[] = [];
    const subscription = client.subscribeToAll({
      fromPosition: START,
      filter: streamNameFilter({ prefixes: [prefix], checkpointReached: (_s, p) => void checkpoints.push(p) }),
    });
    let caughtUp = false;
    subscription.on('caughtUp', () => (caughtUp = true));
    const seen: AllStreamResolvedEvent[] = [];
    subscription.on('data', (resolved: AllStreamResolvedEvent) => seen.push(resolved));
    await waitFor(() => caughtUp, { description: 'caught up' });
    expect(seen.map((r) => r.event?.streamId)).toEqual([`${prefix}a`]);
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);

    await client.appendToStream(`${prefix}b`, event(2));
    await waitFor(() => seen.length === 2, { description: 'live event' });
    expect(seen[1].event?.streamId).toBe(`${prefix}b`);
    await subscription.unsubscribe();
  });

  it('supports regex filters on the stream name', async () => {
    const tag = randomUUID().slice(0, 8);
    await client.appendToStream(`rx${tag}-1`, event(1));
    await client.appendToStream(`other${tag}`, event(2));
    const subscription = client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ regex: `^rx${tag}-` }) });
    const seen: string[] = [];
    subscription.on('data', (resolved: AllStreamResolvedEvent) => seen.push(resolved.event?.streamId ?? ''));
    await waitFor(() => seen.length === 1);
    await client.appendToStream(`rx${tag}-2`, event(3));
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual([`rx${tag}-1`, `rx${tag}-2`]);
    await subscription.unsubscribe();
  });

  it('injects UNAVAILABLE failures, then serves again', async () => {
    emulator.failNextCalls(1);
    await expect(client.appendToStream(stream('fault'), event(1))).rejects.toBeInstanceOf(UnavailableError);
    await expect(client.appendToStream(stream('fault'), event(1))).resolves.toMatchObject({ success: true });
  });

  it('stops (an outage: subscriptions dropped, calls refused) and restarts on the same port with its log', async () => {
    const name = stream('outage');
    await client.appendToStream(name, event(1));
    const subscription = client.subscribeToAll({ fromPosition: END });
    const dropped = new Promise<unknown>((resolve) => subscription.once('error', resolve));
    await waitFor(() => emulator.subscriptionCount > 0);
    await emulator.stop();
    try {
      const drop = await dropped;
      // UNAVAILABLE, or CANCELLED when the port closes before the status is on the wire: both are drops.
      expect([UnavailableError, CancelledError].some((type) => drop instanceof type)).toBe(true);
      await expect(client.appendToStream(name, event(2))).rejects.toThrow(/UNAVAILABLE/);
    } finally {
      await emulator.restart();
    }
    // The client's channel reconnects by itself; the first call may still see the old one fail.
    await waitFor(async () => (await client.appendToStream(name, event(3)).catch(() => undefined))?.success === true, { timeoutMs: 20_000, description: 'appends served again' });
    const events = [];
    for await (const resolved of client.readStream(name)) events.push(resolved.event?.data);
    expect(events[0]).toEqual({ n: 1 });
    expect(events.at(-1)).toEqual({ n: 3 });
  });

  it('drops live subscriptions on demand', async () => {
    const subscription = client.subscribeToAll({ fromPosition: END });
    const failed = new Promise<unknown>((resolve) => subscription.once('error', resolve));
    await waitFor(() => emulator.subscriptionCount > 0);
    expect(emulator.dropSubscriptions()).toBeGreaterThanOrEqual(1);
    expect(await failed).toBeInstanceOf(UnavailableError);
  });

  it('adds latency to calls', async () => {
    emulator.setLatency(150);
    const started = Date.now();
    await client.appendToStream(stream('slow'), event(1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
