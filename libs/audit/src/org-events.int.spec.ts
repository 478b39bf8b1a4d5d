import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { orgEvents } from './org-events';

describe('orgEvents', () => {
  let dir: string;
  let store: EventStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-org-events-'));
    store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    // Seven events, two orgs interleaved: acme has 1, 3, 4 and 6 (zero-based 0, 2, 3, 5).
    const owners = ['acme', 'other', 'acme', 'acme', 'other', 'acme', 'other'];
    for (const [i, orgId] of owners.entries()) {
      await store.appendToStream(`org-${orgId}-${i}`, [{ id: randomUUID(), type: 'Noted', data: { orgId, i }, metadata: {} }]);
    }
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function collect(pageSize: number, scanLimit?: number): Promise<number[]> {
    const seen: number[] = [];
    for await (const event of orgEvents(store, 'acme', { pageSize, scanLimit })) seen.push(event.data['i'] as number);
    return seen;
  }

  it.each([1, 2, 3, 7, 64])('yields every event of the org once, in order, with pages of %i', async (pageSize) => {
    expect(await collect(pageSize)).toEqual([0, 2, 3, 5]);
  });

  it('stops after the scan limit, counting events of every org', async () => {
    expect(await collect(1, 4)).toEqual([0, 2, 3]);
    expect(await collect(2, 5)).toEqual([0, 2, 3]);
  });
});
