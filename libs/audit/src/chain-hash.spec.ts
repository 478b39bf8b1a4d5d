import fc from 'fast-check';
import canonicalize from 'canonicalize';
import { canonicalJson, linkHash, GENESIS_HASH, sortedCopy } from './chain-hash';
import type { AuditEntry } from './audit-entry';

describe('canonicalJson (RFC 8785)', () => {
  it('writes exactly what the canonicalize library writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 5000 },
    );
  });

  it('sorts keys by UTF-16 code units, integer-like keys included', () => {
    expect(canonicalJson({ b: 1, a: [{ z: null, y: 'é' }], '10': true, '9': false })).toBe('{"10":true,"9":false,"a":[{"y":"é","z":null}],"b":1}');
    expect(canonicalJson({ '\u{1F600}': 1, '\uFFFF': 2 })).toBe(canonicalize({ '\u{1F600}': 1, '\uFFFF': 2 }));
    const hostile = JSON.parse('{"__proto__":{"a":1},"constructor":2}') as unknown;
    expect(canonicalJson(hostile)).toBe('{"__proto__":{"a":1},"constructor":2}');
  });
});

describe('sortedCopy', () => {
  it('copies once: a sorted copy is kept as it is, and keeps a __proto__ key as a key', () => {
    const sorted = sortedCopy({ b: { d: 1, c: [{ f: 1, e: 2 }] }, a: 1 });
    expect(sortedCopy(sorted)).toBe(sorted);
    expect(JSON.stringify(sorted)).toBe('{"a":1,"b":{"c":[{"e":2,"f":1}],"d":1}}');
    const hostile = sortedCopy(JSON.parse('{"z":1,"__proto__":{"y":1,"x":2}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
    expect(Object.keys(hostile)).toEqual(['__proto__', 'z']);
    expect(JSON.stringify(hostile)).toBe('{"__proto__":{"x":2,"y":1},"z":1}');
  });
});

describe('linkHash', () => {
  const entry: AuditEntry = {
    position: '1/1', stream: 'org-acme', revision: '0', id: 'e1', type: 'OrganizationRegistered', occurredAt: '2026-01-01T00:00:00.000Z',
    actor: 'operator', tokenId: null, requestId: 'r', correlationId: 'c', causationId: 'c', data: { orgId: 'acme' },
  };

  it('depends on the event, its place and the previous link, not on key order', () => {
    const base = linkHash(1, GENESIS_HASH, entry);
    expect(linkHash(1, GENESIS_HASH, { ...entry, data: { orgId: 'acme' } })).toBe(base);
    const { data, ...rest } = entry;
    expect(linkHash(1, GENESIS_HASH, JSON.parse(JSON.stringify({ data, ...rest })) as AuditEntry)).toBe(base);
    expect(linkHash(2, GENESIS_HASH, entry)).not.toBe(base);
    expect(linkHash(1, base, entry)).not.toBe(base);
    expect(linkHash(1, GENESIS_HASH, { ...entry, actor: 'user:mallory' })).not.toBe(base);
  });
});
