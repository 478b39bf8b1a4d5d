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

describe('DataKeyCache shares', () => {
  const keyOf = (orgId: string, id: string, scope = id) => new CachedDataKey(orgId, id, scope, randomBytes(32), Buffer.from('aad'));

  it("never reaches another org's key: lookups go through the org", () => {
    const cache = new DataKeyCache();
    cache.set(keyOf('acme', 'dk1'), true);
    expect(cache.get('other', 'dk1')).toBeUndefined();
    expect(cache.encryptingKey('other', 'dk1')).toBeUndefined();
    expect(cache.get('acme', 'dk1')).toBeDefined();
  });

  it("caps each org at its share: an org churning through keys evicts only its own", () => {
    const cache = new DataKeyCache({ max: 100, maxPerOrg: 10 });
    const hot = keyOf('b', 'hot');
    cache.set(hot, true);
    for (let i = 0; i < 1_000; i++) cache.set(keyOf('a', `k${i}`));
    expect(cache.get('b', 'hot')).toBe(hot);
    expect(cache.encryptingKey('b', 'hot')).toBe(hot);
    expect(cache.sizeOf('a')).toBe(10);
  });

  it('when the whole cache is full, evicts from the org holding the most', () => {
    const cache = new DataKeyCache({ max: 12, maxPerOrg: 8 });
    const small = [keyOf('b', 'b1'), keyOf('b', 'b2')];
    for (const key of small) cache.set(key);
    // Two flooding orgs fill the rest and then push against each other, never against b.
    for (let i = 0; i < 50; i++) {
      cache.set(keyOf('a', `a${i}`));
      cache.set(keyOf('c', `c${i}`));
    }
    expect(small.every((key) => key.usable && cache.get('b', key.dataKeyId) === key)).toBe(true);
    expect(cache.size).toBe(12);
    expect(cache.sizeOf('a') + cache.sizeOf('c')).toBe(10);
  });

  it('retiring a key stops it encrypting but keeps it for decrypting; evicting it forgets both', () => {
    const cache = new DataKeyCache({ max: 10, maxPerOrg: 1 });
    const first = keyOf('acme', 'dk1', 'env');
    cache.set(first, true);
    cache.retire(first);
    expect(cache.encryptingKey('acme', 'env')).toBeUndefined();
    expect(cache.get('acme', 'dk1')).toBe(first);
    const second = keyOf('acme', 'dk2', 'env');
    cache.set(second, true);
    expect(first.usable).toBe(false);
    expect(cache.encryptingKey('acme', 'env')).toBe(second);
  });

  it('counts reserved uses without I/O and stops at the age limit', () => {
    const key = new CachedDataKey('acme', 'dk1', 's', randomBytes(32), Buffer.from('aad'), 0, 1_000);
    expect(key.take(1, 0)).toBe(false);
    key.grant(3);
    expect([key.take(2, 0), key.take(2, 0), key.take(1, 0)]).toEqual([true, false, true]);
    key.grant(5);
    expect(key.take(1, 1_000)).toBe(false);
  });
});
