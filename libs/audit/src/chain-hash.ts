import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEntry } from './audit-entry';

/** The `prev` of the first link of every org's chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a value: the same bytes in every process and
 * language, so anyone can recompute a link from an export.
 *
 * JCS is ES2015 `JSON.stringify` with object keys sorted by UTF-16 code units. The fast path
 * copies the value with sorted keys and lets the native `JSON.stringify` write it (verify runs
 * this once per event: 5x faster than the `canonicalize` library's string building). JS objects
 * put integer-like keys first in numeric order, which is not UTF-16 order, so a value with such
 * a key goes to the library. A property test holds the two to the same output.
 */
export function canonicalJson(value: unknown): string {
  const sorted = sortedCopy(value);
  const text = sorted === NEEDS_LIBRARY ? canonicalize(value) : JSON.stringify(sorted);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

const NEEDS_LIBRARY = Symbol('needs-library');
const INTEGER_LIKE = /^(0|[1-9]\d*)$/;

function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === NEEDS_LIBRARY) return NEEDS_LIBRARY;
      out[i] = item;
    }
    return out;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return NEEDS_LIBRARY;
  const keys = Object.keys(value).sort();
  // No prototype: a `__proto__` key from the input must stay a key, not become a prototype.
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of keys) {
    if (INTEGER_LIKE.test(key)) return NEEDS_LIBRARY;
    const item = sortedCopy((value as Record<string, unknown>)[key]);
    if (item === NEEDS_LIBRARY) return NEEDS_LIBRARY;
    out[key] = item;
  }
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * One link of an org's chain: SHA-256 over the canonical `{seq, prev, event}`. `seq` is the
 * event's 1-based index in the org's feed and `prev` the previous link, so altering, removing
 * or reordering any event changes every link after it.
 */
export function linkHash(seq: number, prev: string, entry: AuditEntry): string {
  return sha256Hex(canonicalJson({ seq, prev, event: entry }));
}
