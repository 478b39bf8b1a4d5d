import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEntry } from './audit-entry';

/** The `prev` of the first link of every org's chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a value: the same bytes in every process and
 * language, so anyone can recompute a link from an export.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
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
