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

export const NEEDS_LIBRARY = Symbol('needs-library');
const INTEGER_LIKE = /^(0|[1-9]\d*)$/;

/**
 * The value with every object's keys in UTF-16 order, or {@link NEEDS_LIBRARY}. An object whose
 * keys are already in order (the export writes them so, and so does this function) is returned
 * as it is: no copy.
 */
export function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === NEEDS_LIBRARY) return NEEDS_LIBRARY;
      if (item !== value[i]) out ??= value.slice();
      if (out) out[i] = item;
    }
    return out ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return NEEDS_LIBRARY;
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  let inOrder = true;
  let changed = false;
  const items: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    if (INTEGER_LIKE.test(keys[i])) return NEEDS_LIBRARY;
    if (i > 0 && keys[i - 1] > keys[i]) inOrder = false;
    const item = sortedCopy(source[keys[i]]);
    if (item === NEEDS_LIBRARY) return NEEDS_LIBRARY;
    if (item !== source[keys[i]]) changed = true;
    items[i] = item;
  }
  // A plain object already in order (one this function made included) is kept as it is: an
  // entry whose data was sorted once is not copied again when its link is hashed.
  const proto: unknown = Object.getPrototypeOf(source);
  if (inOrder && !changed && (proto === Object.prototype || proto === null)) return source;
  const order = keys.map((key, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  // A plain object (V8 shares its shape between copies with the same keys, so building and
  // stringifying it is fast); a `__proto__` key from the input is defined as an own property, so
  // it stays a key and never becomes the prototype.
  const out: Record<string, unknown> = {};
  for (const i of order) {
    if (keys[i] === '__proto__') Object.defineProperty(out, '__proto__', { value: items[i], enumerable: true, writable: true, configurable: true });
    else out[keys[i]] = items[i];
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
  // Written in key order so the canonical form needs no copy of the wrapper.
  return sha256Hex(canonicalJson({ event: entry, prev, seq }));
}
