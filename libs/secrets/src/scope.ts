import { createHash } from 'node:crypto';
import type { DataKeyIdKey } from '@cmk/key-providers';
import { secretsError } from './errors';

/** A scope is an environment name: 1-128 characters of letters, digits, `.`, `_`, `/` and `-`. */
export const SCOPE_PATTERN = /^[A-Za-z0-9._/-]{1,128}$/;

/** Throws `SCOPE_INVALID` (400) unless `scope` matches {@link SCOPE_PATTERN}. */
export function validateScope(scope: string): string {
  if (!SCOPE_PATTERN.test(scope)) {
    throw secretsError('SCOPE_INVALID', 'scope must be 1-128 characters of letters, digits, ".", "_", "/" or "-"', { field: 'scope' });
  }
  return scope;
}

/** `dk` + 40 hex characters: 42 characters, inside the stream-id alphabet and its 64-char limit. */
export const DATA_KEY_ID_PATTERN = /^dk[0-9a-f]{40}$/;

/**
 * The data key id of generation `generation` of (org, scope): `dk` + the first 160 bits of
 * HMAC-SHA-256 under the server's data-key id key (kept with the platform keys). Deterministic,
 * so concurrent first uses of a generation all try to create the same stream with `no_stream`
 * and exactly one wins; keyed, so an org cannot compute another org's ids for guessed scopes.
 * The NUL separators cannot occur in an org login, a scope or a number, so no two inputs meet.
 */
export function dataKeyIdFor(idKey: DataKeyIdKey, orgId: string, scope: string, generation: number): string {
  return `dk${idKey.macHex(`cmk-data-key-v2\0${orgId}\0${scope}\0${generation}`).slice(0, 40)}`;
}

/**
 * The id data keys had before ids were keyed: an unkeyed SHA-256 of (org, scope). Data keys
 * issued under it keep it for life (it is in their stream name and in every ciphertext); it is
 * looked up only as generation 0 of a scope whose keyed id has no stream yet.
 */
export function legacyDataKeyIdFor(orgId: string, scope: string): string {
  return `dk${createHash('sha256').update(`cmk-data-key\0${orgId}\0${scope}`).digest('hex').slice(0, 40)}`;
}
