import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteEventStore } from './sqlite-event-store';

describe('SQLite store while another connection holds the write lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('still reads, refuses appends with SQLITE_BUSY, and probeWriteLock reports the lock until it is released', async () => {
    const path = join(dir, 'events.sqlite');
    const store = await openSqliteEventStore({ path, busyTimeoutMs: 200 });
    const other = new BetterSqlite3(path);
    try {
      const { position } = await store.appendToStream('t-1', [{ id: crypto.randomUUID(), type: 'T', data: {}, metadata: {} }]);
      await expect(store.probeWriteLock(0)).resolves.toBeUndefined();
      other.exec('BEGIN EXCLUSIVE');
      expect(await store.headPosition()).toEqual(position);
      await expect(store.probeWriteLock(0)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      await expect(store.appendToStream('t-1', [{ id: crypto.randomUUID(), type: 'T', data: {}, metadata: {} }])).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      other.exec('COMMIT');
      await expect(store.probeWriteLock(0)).resolves.toBeUndefined();
      await store.appendToStream('t-1', [{ id: crypto.randomUUID(), type: 'T', data: {}, metadata: {} }]);
      expect((await store.readStream('t-1')).length).toBe(2);
    } finally {
      other.close();
      await store.close();
    }
  });
});
