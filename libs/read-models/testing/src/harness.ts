import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadModelQueries } from '@cmk/read-models';
import { toEventData, type RawSpecEvent } from './events';
import { referenceModel } from './reference';

/** A private SQLite event store file for one test. */
export async function openTestStore(): Promise<{ store: EventStore; dispose: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-read-models-'));
  const store = await openSqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 10 });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function appendAll(store: EventStore, events: readonly RawSpecEvent[]): Promise<void> {
  for (const event of events) await store.appendToStream(event.stream, [toEventData(event)]);
}

/** What the queries answer for one org, shaped like the reference model. */
export async function queriedModel(queries: ReadModelQueries, orgId: string) {
  const counts = await queries.countsByWrappingKey(orgId);
  const index: Record<string, string[]> = {};
  for (const wrappingKeyId of Object.keys(counts)) {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queries.listDataKeys(orgId, wrappingKeyId, { cursor, limit: 17 });
      ids.push(...page.ids);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    index[wrappingKeyId] = ids.sort();
  }
  return { keyList: await queries.getKeyList(orgId), banner: await queries.getBannerDoc(orgId), counts, index };
}

/** The reference fold of the whole log, in the shape `queriedModel` returns. */
export async function expectedModel(store: EventStore, orgId: string) {
  const ref = await referenceModel(store, orgId);
  const index = Object.fromEntries(Object.entries(ref.index).map(([wrappingKeyId, members]) => [wrappingKeyId, Object.keys(members).sort()]));
  return { keyList: ref.keyList, banner: ref.banner, counts: ref.counts, index };
}
