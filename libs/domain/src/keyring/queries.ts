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

/**
 * Whether data keys under `wrappingKeyId` are stranded: the key may no longer wrap (a CMK that
 * is not active, or the platform key once a customer key is the default), no run is running
 * (a running run sweeps, and its completion is checked again), and no failed run left them there
 * for its retry. Such data keys are moved to `activeKeyForNewDataKeys` by the system itself.
 */
export function isStrandedUnder(state: KeyringState, wrappingKeyId: string): boolean {
  if (state.status === 'reencrypting') return false;
  if (wrappingKeyId === state.defaultKeyId) return false;
  const retired = wrappingKeyId === PLATFORM_KEY_ID ? true : findKey(state, wrappingKeyId)?.status !== 'active';
  if (!retired) return false;
  const last = state.lastRun;
  return !(last?.outcome === 'failed' && last.from.includes(wrappingKeyId));
}

/**
 * The wrapping keys a run sweeps. A first-key run or a single disable sweeps its sources. A
 * disable-all or a retry sweeps by the data-key index, not by key state: besides its sources, every
 * CMK that may no longer wrap (disabling or disabled), so a data key that landed under an already
 * disabled key by any interleaving moves too. (The platform key is swept only as a source: a
 * platform data key whose generation was destroyed could never move, and would fail every retry.)
 */
export function sweepSources(state: KeyringState, run: { readonly from: readonly string[]; readonly to: string; readonly reason: string }): string[] {
  const sources = new Set(run.from);
  if (run.reason === 'all-keys-disabled' || run.reason === 'retry') {
    for (const key of state.keys) if (key.status !== 'active') sources.add(key.keyId);
  }
  sources.delete(run.to);
  return [...sources];
}
