import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PostgresTestDatabase, waitFor } from '@cmk/testing';
import { openPostgresEventStore } from './index';
import { NOTIFY_CHANNEL } from './pg-append-function';

interface Append {
  readonly stream: string;
  readonly expected: string;
  readonly events: readonly { readonly id: string; readonly type: string }[];
}

interface Row {
  readonly outcome: string;
  readonly last_revision: string | null;
  readonly last_seq: string | null;
  readonly detail: string | null;
}

const call = async (client: Client, fn: 'cmk_append' | 'cmk_append_each', group: readonly Append[]): Promise<Row[]> => {
  const events = group.flatMap((append) => append.events);
  const { rows } = await client.query<Row>(`SELECT outcome, last_revision::text, last_seq::text, detail FROM ${fn}($1, $2, $3, $4, $5, $6, $7)`, [
    group.map((append) => append.stream),
    group.map((append) => append.expected),
    group.map((append) => append.events.length),
    events.map((event) => event.id),
    events.map((event) => event.type),
    events.map((event) => JSON.stringify({ id: event.id })),
    events.map(() => '{}'),
  ]);
  return rows;
};

const log = async (client: Client) =>
  (await client.query<{ seq: string; stream_id: string; revision: string; event_id: string; type: string }>('SELECT seq::text, stream_id, revision::text, event_id, type FROM cmk_events ORDER BY seq')).rows;

// Schema 2's `cmk_append` decides a group of appends to distinct streams in one statement; the
// version-1 loop (`cmk_append_each`) is the reference: every outcome, and the log they leave,
// must be the same, group by group.
describe('PostgreSQL cmk_append: the set-based statement decides as the per-append loop', () => {
  let setBased: PostgresTestDatabase;
  let loop: PostgresTestDatabase;
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    [setBased, loop] = await Promise.all([PostgresTestDatabase.create('append_set'), PostgresTestDatabase.create('append_loop')]);
    for (const database of [setBased, loop]) await (await openPostgresEventStore({ url: database.url, notifications: false })).close();
    a = new Client({ connectionString: setBased.url });
    b = new Client({ connectionString: loop.url });
    await a.connect();
    await b.connect();
  });

  afterAll(async () => {
    await a?.end();
    await b?.end();
    await setBased?.drop();
    await loop?.drop();
  });

  it('gives the same outcomes and the same log for writes, conflicts, retries, duplicates and empty appends', async () => {
    const e = Array.from({ length: 12 }, () => ({ id: randomUUID(), type: 'Tested' }));
    const groups: Append[][] = [
      [
        { stream: 's1', expected: 'no_stream', events: [e[0], e[1]] },
        { stream: 's2', expected: 'any', events: [e[2]] },
        { stream: 's3', expected: 'stream_exists', events: [e[3]] },
        { stream: 's4', expected: '5', events: [e[4]] },
        { stream: 's5', expected: 'no_stream', events: [] },
        { stream: 's6', expected: 'any', events: [e[7]] },
      ],
      [
        { stream: 's1', expected: '1', events: [e[5]] },
        { stream: 's2', expected: 'no_stream', events: [e[6]] },
        { stream: 's7', expected: 'any', events: [{ ...e[9], type: 'First' }] },
        { stream: 's3', expected: 'no_stream', events: [] },
      ],
      [
        // Retries: the whole first write of s1, s2's write, s1's second write with stream_exists.
        { stream: 's1', expected: 'no_stream', events: [e[0], e[1]] },
        { stream: 's2', expected: 'any', events: [e[2]] },
        { stream: 's6', expected: '0', events: [e[7]] },
        { stream: 's7', expected: 'any', events: [{ ...e[9], type: 'Second' }] },
      ],
      [
        { stream: 's1', expected: 'stream_exists', events: [e[5]] },
        { stream: 's2', expected: '0', events: [e[2], e[8]] },
        { stream: 's6', expected: '3', events: [e[7]] },
        { stream: 's1x', expected: 'no_stream', events: [e[10], e[11]] },
      ],
      [
        { stream: 's1', expected: '0', events: [e[5]] },
        { stream: 's1x', expected: 'any', events: [] },
        { stream: 's9', expected: 'any', events: [] },
      ],
      // A stream named twice: both functions take the loop.
      [
        { stream: 's8', expected: 'no_stream', events: [{ id: randomUUID(), type: 'Tested' }] },
        { stream: 's8', expected: '0', events: [{ id: randomUUID(), type: 'Tested' }] },
      ],
    ];
    const outcomes: Row[][] = [];
    for (const group of groups) {
      const [viaSet, viaLoop] = await Promise.all([call(a, 'cmk_append', group), call(b, 'cmk_append_each', group)]);
      expect(viaSet).toEqual(viaLoop);
      outcomes.push(viaSet);
    }
    expect(await log(a)).toEqual(await log(b));
    const kinds = outcomes.map((rows) => rows.map((row) => row.outcome));
    expect(kinds).toEqual([
      ['ok', 'ok', 'conflict', 'conflict', 'ok', 'ok'],
      ['ok', 'conflict', 'ok', 'ok'],
      ['ok', 'ok', 'duplicate', 'duplicate'],
      ['ok', 'duplicate', 'conflict', 'ok'],
      ['conflict', 'ok', 'ok'],
      ['ok', 'ok'],
    ]);
    // The retry of s1's first write answers with that write's place, not a new one.
    expect(outcomes[2][0]).toEqual(outcomes[0][0]);
    expect(outcomes[3][1].detail).toBe(e[2].id);
    expect(outcomes[4][0]).toMatchObject({ outcome: 'conflict', last_revision: '2', last_seq: null });
    expect(outcomes[0][4]).toEqual({ outcome: 'ok', last_revision: '-1', last_seq: null, detail: null });
  });

  it('writes a group in group order and notifies its head once, after the commit', async () => {
    const listener = new Client({ connectionString: setBased.url });
    await listener.connect();
    const heads: string[] = [];
    listener.on('notification', (message) => heads.push(message.payload ?? ''));
    await listener.query(`LISTEN ${NOTIFY_CHANNEL}`);
    try {
      const group = Array.from({ length: 5 }, (_, i) => ({ stream: `order-${i}-${randomUUID()}`, expected: 'no_stream', events: [{ id: randomUUID(), type: 'Tested' }, { id: randomUUID(), type: 'Tested' }] }));
      const rows = await call(a, 'cmk_append', group);
      const seqs = rows.map((row) => Number(row.last_seq));
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(rows.map((row) => row.last_revision)).toEqual(group.map(() => '1'));
      const written = (await log(a)).filter((row) => group.some((append) => append.stream === row.stream_id));
      expect(written.map((row) => row.event_id)).toEqual(group.flatMap((append) => append.events.map((event) => event.id)));
      await waitFor(() => heads.length > 0, { description: 'the notification of the group' });
      expect(heads).toEqual([String(Math.max(...seqs))]);
    } finally {
      await listener.end();
    }
  });
});
