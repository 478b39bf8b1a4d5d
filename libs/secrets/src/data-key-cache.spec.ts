import { randomBytes } from 'node:crypto';
import { waitFor } from '@cmk/testing';
import { CachedDataKey, DataKeyCache } from './data-key-cache';

const entry = (id: string) => new CachedDataKey('acme', id, 'scope', randomBytes(32), Buffer.from('aad'));

describe('DataKeyCache', () => {
  it('zeroes a key when the LRU evicts it, and the holder can tell', () => {
    const cache = new DataKeyCache({ max: 2 });
    const first = entry('a');
    cache.set(first);
    cache.set(entry('b'));
    cache.set(entry('c'));
    expect(cache.get('acme', 'a')).toBeUndefined();
    expect(first.usable).toBe(false);
    expect(first.key.equals(Buffer.alloc(32))).toBe(true);
    expect(cache.size).toBe(2);
  });

  it('counts hits and misses (the hit ratio on /metrics)', () => {
    const cache = new DataKeyCache();
    expect(cache.get('acme', 'a')).toBeUndefined();
    cache.set(entry('a'));
    cache.get('acme', 'a');
    cache.get('acme', 'a');
    cache.get('acme', 'b');
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 2, misses: 2 });
  });

  it('zeroes keys on clear and on replacement', () => {
    const cache = new DataKeyCache();
    const old = entry('a');
    cache.set(old);
    cache.set(entry('a'));
    expect(old.usable).toBe(false);
    const current = cache.get('acme', 'a');
    cache.clear();
    expect(current?.usable).toBe(false);
    expect(cache.get('acme', 'a')).toBeUndefined();
  });

  it('forgets (and zeroes) a key after its TTL even when nobody asks for it', async () => {
    const cache = new DataKeyCache({ ttlMs: 30 });
    const key = entry('a');
    cache.set(key);
    expect(cache.get('acme', 'a')).toBe(key);
    // The purge timer is the point of the test, so wait for its effect rather than for a time.
    await waitFor(() => !key.usable, { timeoutMs: 2_000, description: 'TTL purge' });
    expect(key.key.equals(Buffer.alloc(32))).toBe(true);
    expect(cache.size).toBe(0);
  });
});
