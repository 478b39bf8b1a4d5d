/**
 * The store's share of a re-encryption run, without KMS: `keys` one-event streams, then every
 * stream read and appended to once with the revision read (the rewrap path: 4 batches of 500 at
 * a time, 16 keys in flight in each), while five live subscriptions follow `$all` as the apps'
 * do (three read every event with its payload: two projection runners and the audit chainer;
 * two filtered to `keyring-`: the dispatchers), until they have all seen every new event.
 * Reports keys/s and the CPU per key of this process (`client`) and of the store's server
 * processes (`server`, from `serverPids`), so runs on a shared machine compare.
 */
import { randomUUID } from 'node:crypto';
import { CpuMeter } from '@cmk/testing';
import { readStreams, type EventData, type EventStore } from '@cmk/eventstore/port';

export interface RewrapWorkloadResult {
  readonly keys: number;
  readonly seconds: number;
  readonly keysPerSecond: number;
  readonly cpuMsPerKey: Record<string, number>;
}

const BATCH = 500;
const BATCHES_AT_ONCE = 4;
const LANES = 16;

function issued(i: number): EventData {
  return {
    id: randomUUID(),
    type: 'DataKeyIssued',
    data: { orgId: 'acme', dataKeyId: `dk-${i}`, scope: `env/${i % 50}`, wrappedBy: 'platform', kekRef: 'org-platform:acme:1', wrapped: 'x'.repeat(160) },
    metadata: { actor: 'system', requestId: `dk-${i}`, correlationId: `dk-${i}`, causationId: `dk-${i}`, occurredAt: new Date().toISOString() },
  };
}

function rewrapped(i: number): EventData {
  return {
    id: randomUUID(),
    type: 'DataKeyRewrapped',
    data: { orgId: 'acme', dataKeyId: `dk-${i}`, reencryptionId: 'run-1', from: 'platform', to: 'cmk-1', kekRef: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd', wrapped: 'y'.repeat(250) },
    metadata: { actor: 'system', requestId: 'run-1', correlationId: 'run-1', causationId: 'job-1', occurredAt: new Date().toISOString() },
  };
}

export async function runRewrapWorkload(store: EventStore, keys: number, serverPids?: () => Promise<readonly number[]>): Promise<RewrapWorkloadResult> {
  const run = randomUUID().slice(0, 8);
  const stream = (i: number) => `datakey-${run}-${i}`;
  let next = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < keys) {
        const i = next++;
        await store.appendToStream(stream(i), [issued(i)], { expectedRevision: 'no_stream' });
      }
    }),
  );
  const followers = [undefined, undefined, undefined, ['keyring-'], ['keyring-']].map((prefixes) => {
    const subscription = store.subscribeToAll({ fromPosition: 'end', ...(prefixes ? { filter: { streamNamePrefixes: prefixes } } : {}) });
    let seen = 0;
    const done = (async () => {
      for await (const item of subscription) if (item.kind === 'event') seen += 1;
    })();
    return { subscription, done, seen: () => seen, all: !prefixes };
  });
  const cpu = new CpuMeter({ client: () => [process.pid], ...(serverPids ? { server: serverPids } : {}) });
  await cpu.start();
  const started = process.hrtime.bigint();
  let nextBatch = 0;
  const batch = async (): Promise<void> => {
    while (nextBatch * BATCH < keys) {
      const first = nextBatch++ * BATCH;
      let k = first;
      const end = Math.min(keys, first + BATCH);
      // As the rewrap batch: the batch's streams in one read, then each key appended on its read.
      const reads = await readStreams(store, Array.from({ length: end - first }, (_, j) => stream(first + j)));
      await Promise.all(
        Array.from({ length: LANES }, async () => {
          while (k < end) {
            const i = k++;
            const [event] = reads[i - first];
            await store.appendToStream(stream(i), [rewrapped(i)], { expectedRevision: event.revision });
          }
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: BATCHES_AT_ONCE }, batch));
  // Done when every follower of the whole log has seen every new event.
  while (followers.some((follower) => follower.all && follower.seen() < keys)) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuSeconds = await cpu.stop();
  for (const follower of followers) await follower.subscription.unsubscribe();
  await Promise.all(followers.map((follower) => follower.done));
  const ms = (s: number) => Number(((s * 1000) / keys).toFixed(3));
  return {
    keys,
    seconds: Number(seconds.toFixed(2)),
    keysPerSecond: Math.round(keys / seconds),
    cpuMsPerKey: { ...Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, ms(v)])), total: ms(Object.values(cpuSeconds).reduce((a, b) => a + b, 0)) },
  };
}
