import { assertNever } from '../shared/assert-never';
import { PLATFORM_KEY_ID, type KeyringEvent, type ReencryptionReason } from './events';

/**
 * - `active`: may wrap new data keys and be a re-encryption target.
 * - `disabling`: disabled by the admin; its data keys are (being) moved off it. Still decrypts,
 *   never wraps. Stays here after a failed run until a retry completes.
 * - `disabled`: the run that moved its data keys completed.
 */
export type KeyStatus = 'active' | 'disabling' | 'disabled';

export interface KeyEntry {
  readonly keyId: string;
  readonly name: string;
  readonly roleArn: string;
  readonly keyArn: string;
  readonly resolvedKeyArn: string;
  readonly status: KeyStatus;
  readonly addedAt: string;
}

export interface ReencryptionRun {
  readonly reencryptionId: string;
  readonly from: readonly string[];
  readonly to: string;
  readonly reason: ReencryptionReason;
  readonly retryOf?: string;
  readonly startedAt: string;
  readonly done: number;
  readonly failed: number;
  readonly total: number;
}

export type FinishedRun =
  | (ReencryptionRun & { readonly outcome: 'completed'; readonly finishedAt: string })
  | (ReencryptionRun & {
      readonly outcome: 'failed';
      readonly finishedAt: string;
      readonly failureReason: string;
      readonly failuresByCode: Readonly<Record<string, number>>;
    });

export type RunOutcome = 'running' | 'completed' | 'failed';

interface KeyringFields {
  /** Known once the first event is applied. */
  readonly orgId: string | undefined;
  /** `platform` or the id of an active CMK. */
  readonly defaultKeyId: string;
  /** Every key ever added, in the order added (disabled ones too: names stay taken). */
  readonly keys: readonly KeyEntry[];
  /** Every run id ever started and where it stands: makes Complete/Fail idempotent. */
  readonly runs: Readonly<Record<string, RunOutcome>>;
  readonly lastRun: FinishedRun | undefined;
}

/** At most one re-encryption runs per org; the tag says whether one does. */
export type KeyringState =
  | (KeyringFields & { readonly status: 'idle' })
  | (KeyringFields & { readonly status: 'reencrypting'; readonly run: ReencryptionRun });

export function initialState(): KeyringState {
  return { status: 'idle', orgId: undefined, defaultKeyId: PLATFORM_KEY_ID, keys: [], runs: {}, lastRun: undefined };
}

function fields(state: KeyringState): KeyringFields {
  const { orgId, defaultKeyId, keys, runs, lastRun } = state;
  return { orgId, defaultKeyId, keys, runs, lastRun };
}

function setStatus(keys: readonly KeyEntry[], ids: readonly string[], from: KeyStatus, to: KeyStatus): KeyEntry[] {
  return keys.map((key) => (ids.includes(key.keyId) && key.status === from ? { ...key, status: to } : key));
}

export function evolve(state: KeyringState, event: KeyringEvent): KeyringState {
  const base = { ...fields(state), orgId: state.orgId ?? event.data.orgId };
  const keep = state.status === 'reencrypting' ? { status: state.status, run: state.run } : { status: state.status };
  switch (event.type) {
    case 'KeyAdded': {
      const { keyId, name, roleArn, keyArn, resolvedKeyArn } = event.data;
      const key: KeyEntry = { keyId, name, roleArn, keyArn, resolvedKeyArn, status: 'active', addedAt: event.metadata.occurredAt };
      return { ...base, ...keep, keys: [...base.keys, key] };
    }
    case 'DefaultChanged':
      return { ...base, ...keep, defaultKeyId: event.data.to };
    case 'KeyDisabled':
      return { ...base, ...keep, keys: setStatus(base.keys, [event.data.keyId], 'active', 'disabling') };
    case 'AllKeysDisabled':
      return { ...base, ...keep, keys: setStatus(base.keys, event.data.keyIds, 'active', 'disabling') };
    case 'ReencryptionStarted': {
      const { reencryptionId, from, to, reason, retryOf } = event.data;
      const run: ReencryptionRun = {
        reencryptionId,
        from: [...from],
        to,
        reason,
        ...(retryOf === undefined ? {} : { retryOf }),
        startedAt: event.metadata.occurredAt,
        done: 0,
        failed: 0,
        total: 0,
      };
      return { ...base, status: 'reencrypting', run, runs: { ...base.runs, [reencryptionId]: 'running' } };
    }
    case 'ReencryptionProgressed': {
      if (state.status !== 'reencrypting' || state.run.reencryptionId !== event.data.reencryptionId) return state;
      const { done, failed, total } = event.data;
      return { ...base, status: 'reencrypting', run: { ...state.run, done, failed, total } };
    }
    case 'ReencryptionCompleted': {
      if (state.status !== 'reencrypting' || state.run.reencryptionId !== event.data.reencryptionId) return state;
      const { rewrapped, failed } = event.data;
      const run = { ...state.run, done: rewrapped, failed };
      const sources = run.from.filter((id) => id !== PLATFORM_KEY_ID);
      return {
        ...base,
        status: 'idle',
        keys: setStatus(base.keys, sources, 'disabling', 'disabled'),
        runs: { ...base.runs, [run.reencryptionId]: 'completed' },
        lastRun: { ...run, outcome: 'completed', finishedAt: event.metadata.occurredAt },
      };
    }
    case 'ReencryptionFailed': {
      if (state.status !== 'reencrypting' || state.run.reencryptionId !== event.data.reencryptionId) return state;
      const { reason, rewrapped, failed, failuresByCode } = event.data;
      const run = { ...state.run, done: rewrapped, failed };
      return {
        ...base,
        status: 'idle',
        runs: { ...base.runs, [run.reencryptionId]: 'failed' },
        lastRun: { ...run, outcome: 'failed', finishedAt: event.metadata.occurredAt, failureReason: reason, failuresByCode: { ...failuresByCode } },
      };
    }
    case 'PlatformOrgKeyDestroyed':
      // An audit fact: nothing the key ring decides on changes (the key store holds the key's state).
      return { ...base, ...keep };
    default:
      return assertNever(event, 'keyring event');
  }
}

export function findKey(state: KeyringState, keyId: string): KeyEntry | undefined {
  return state.keys.find((key) => key.keyId === keyId);
}

/** Whether `keyId` is a source or the target of the running re-encryption. */
export function isUnderReencryption(state: KeyringState, keyId: string): boolean {
  return state.status === 'reencrypting' && (state.run.to === keyId || state.run.from.includes(keyId));
}
