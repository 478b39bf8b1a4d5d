import { PLATFORM_KEY_ID } from './events';
import { disableRefusal, setDefaultRefusal } from './rules';
import { findKey, type KeyringState } from './state';

/**
 * Pure questions the API and the worker ask of a key ring. They reuse the decider's rules, so a
 * key shown as "can set default" is exactly one `SetDefaultKey` would accept.
 */

export function keyCanSetDefault(state: KeyringState, keyId: string): boolean {
  return setDefaultRefusal(state, keyId) === undefined;
}

/** Whether the key may be disabled now (some valid destination still has to be chosen). */
export function keyCanDisable(state: KeyringState, keyId: string): boolean {
  return disableRefusal(state, keyId) === undefined;
}

/** The key that wraps new data keys: the default (`platform` or an active CMK). */
export function activeKeyForNewDataKeys(state: KeyringState): string {
  return state.defaultKeyId;
}

/**
 * Whether `keyId` may wrap a data key (issue or rewrap target). A `disabling` or `disabled` CMK
 * never wraps; it is only used to unwrap until its data keys have moved.
 */
export function isWrappingAllowed(state: KeyringState, keyId: string): boolean {
  return keyId === PLATFORM_KEY_ID || findKey(state, keyId)?.status === 'active';
}
