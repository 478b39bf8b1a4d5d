import { createHash } from 'node:crypto';
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
 * The data key id of (org, scope), deterministic so that concurrent first uses of a scope all
 * try to create the same stream with `no_stream` and exactly one wins; the others re-read and
 * use the winner's key. 160 bits of SHA-256 leave no practical chance of two scopes colliding
 * (and the issuer still checks the stored org and scope). The NUL separator cannot occur in an
 * org login or a scope, so (`a`, `b/c`) and (`a/b`, `c`) never hash the same input.
 */
export function dataKeyIdFor(orgId: string, scope: string): string {
  return `dk${createHash('sha256').update(`cmk-data-key\0${orgId}\0${scope}`).digest('hex').slice(0, 40)}`;
}
