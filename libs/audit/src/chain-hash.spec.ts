import fc from 'fast-check';
import canonicalize from 'canonicalize';
import { canonicalJson, linkHash, GENESIS_HASH } from './chain-hash';
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
