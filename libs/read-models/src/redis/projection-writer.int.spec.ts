import { usePrivateRedis } from '@cmk/testing';
import { toProjectedEvent, type ProjectedEvent } from '../codec/projected-event';
import { dataKeyIssued, dataKeyRewrapped, keyAdded, keyring, recorded, type RawSpecEvent, dumpNamespace } from '@cmk/read-models/testing';
import { ProjectionWriter } from './projection-writer';
import { ReadModelQueries } from './read-model-queries';

const privateRedis = usePrivateRedis();

/** Numbers events from `first` upwards, as one log segment. */
function projected(events: RawSpecEvent[], first = 1): ProjectedEvent[] {
  return events.map((event, i) => {
    const result = toProjectedEvent(recorded(event, first + i));
    if (!result) throw new Error(`not projected: ${event.type}`);
    return result;
  });
}

const last = (events: ProjectedEvent[]) => events[events.length - 1].position;

describe('ProjectionWriter + ReadModelQueries (real Redis)', () => {
  it('writes the documents, the index and the checkpoint of a batch', async () => {
    const ns = 'rm:t1';
    const writer = new ProjectionWriter(privateRedis.redis, ns);
    const queries = new ReadModelQueries(privateRedis.redis, ns);
    const events = projected([dataKeyIssued('org-w1', 'dk1', 'platform'), keyAdded('org-w1', 'k1'), dataKeyRewrapped('org-w1', 'dk1', 'platform', 'k1', 'r1')]);
    expect(await writer.applyBatch(events, last(events))).toEqual({ checkpoint: last(events), applied: 3 });
    expect((await queries.getKeyList('org-w1')).keys.map((k) => k.id)).toEqual(['k1']);
    expect(await queries.countsByWrappingKey('org-w1')).toEqual({ k1: 1, platform: 0 });
    expect(await queries.checkpoint()).toEqual(last(events));
  });

  it('skips events at or below the stored checkpoint: the same batch twice changes nothing', async () => {
    const ns = 'rm:t2';
    const writer = new ProjectionWriter(privateRedis.redis, ns);
    const events = projected([
      keyAdded('org-w2', 'k1'),
      keyring('org-w2', 'ReencryptionStarted', { reencryptionId: 'r1', from: ['platform'], to: 'k1', reason: 'first-key' }),
      dataKeyIssued('org-w2', 'dk1', 'platform'),
      dataKeyRewrapped('org-w2', 'dk1', 'platform', 'k1', 'r1'),
    ]);
    await writer.applyBatch(events, last(events));
    const before = await dumpNamespace(privateRedis.redis, ns, { withCheckpoint: true });
    expect(await writer.applyBatch(events, last(events))).toEqual({ checkpoint: last(events), applied: 0 });
    // An overlapping batch applies only its new tail.
    const more = projected([dataKeyIssued('org-w2', 'dk2', 'k1')], events.length + 1);
    expect((await writer.applyBatch([...events.slice(2), ...more], last(more))).applied).toBe(1);
    const after = await dumpNamespace(privateRedis.redis, ns, { withCheckpoint: true });
    expect(after).toEqual({ ...before, [`${ns}:checkpoint`]: '5/5', [`${ns}:datakeys:org-w2:k1`]: expect.arrayContaining(['dk1', 'dk2']) });
  });

  it('pages through a wrapping key without skipping or repeating while keys move out of it', async () => {
    const ns = 'rm:t3';
    const writer = new ProjectionWriter(privateRedis.redis, ns);
    const queries = new ReadModelQueries(privateRedis.redis, ns);
    const ids = Array.from({ length: 250 }, (_, i) => `dk${String(i).padStart(3, '0')}`);
    const issued = projected(ids.map((id) => dataKeyIssued('org-w3', id, 'platform')));
    await writer.applyBatch(issued, last(issued));
    const seen: string[] = [];
    const movedEarly = new Set<string>();
    let cursor: string | undefined;
    let seq = issued.length + 1;
    do {
      const page = await queries.listDataKeys('org-w3', 'platform', { cursor, limit: 40 });
      seen.push(...page.ids);
      // Rewrap this page and some keys further ahead, as concurrent batch jobs would.
      const ahead = ids.filter((id) => !seen.includes(id) && !movedEarly.has(id)).filter((_, i) => i % 7 === 0);
      ahead.forEach((id) => movedEarly.add(id));
      const moved = projected([...page.ids, ...ahead].map((id) => dataKeyRewrapped('org-w3', id, 'platform', 'k1', 'r1')), seq);
      seq += moved.length;
      if (moved.length > 0) await writer.applyBatch(moved, last(moved));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    // Every key is seen exactly once, except those moved away before their page came.
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => movedEarly.has(id))).toEqual([]);
    expect([...seen, ...movedEarly].sort()).toEqual(ids);
    expect(movedEarly.size).toBeGreaterThan(10);
    expect(await queries.countsByWrappingKey('org-w3')).toEqual({ platform: 0, k1: 250 });
    const all = await queries.listDataKeys('org-w3', 'k1', { limit: 10_000 });
    expect(all.ids.sort()).toEqual(ids);
    expect(all.nextCursor).toBeNull();
  });

  it('pages across members tied on one score in id order', async () => {
    const ns = 'rm:t4';
    const queries = new ReadModelQueries(privateRedis.redis, ns);
    await privateRedis.redis.zadd(`${ns}:datakeys:org-w4:platform`, 5, 'c', 5, 'a', 5, 'b', 6, 'd');
    const first = await queries.listDataKeys('org-w4', 'platform', { limit: 2 });
    const second = await queries.listDataKeys('org-w4', 'platform', { limit: 2, cursor: first.nextCursor ?? undefined });
    expect([first.ids, second.ids]).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('a writer whose checkpoint moved underneath recomputes instead of double-applying', async () => {
    const ns = 'rm:t5';
    const a = new ProjectionWriter(privateRedis.redis, ns);
    const b = new ProjectionWriter(privateRedis.redis, ns);
    const events = projected(Array.from({ length: 50 }, (_, i) => keyring('org-w5', 'ReencryptionProgressed', { reencryptionId: 'r', done: i, failed: 0, total: 50 })));
    const started = projected([keyring('org-w5', 'ReencryptionStarted', { reencryptionId: 'r', from: ['platform'], to: 'k1', reason: 'first-key' })], 0);
    await a.applyBatch(started, last(started));
    await Promise.all([a.applyBatch(events.slice(0, 30), events[29].position), b.applyBatch(events, last(events)), a.applyBatch(events, last(events))]);
    expect(await new ReadModelQueries(privateRedis.redis, ns).getBanner('org-w5')).toMatchObject({ done: 49, total: 50 });
    expect(await a.readCheckpoint()).toEqual(last(events));
  });
});
