import type { KeyringEvent, ReencryptionReason } from '@cmk/domain';
import { unreachable } from './unreachable';

export type RunState = 'running' | 'completed' | 'failed';

/** One re-encryption run as the admin's banner shows it. */
export interface ReencryptionBanner {
  readonly id: string;
  readonly state: RunState;
  readonly reason: ReencryptionReason;
  readonly retryOf: string | null;
  /** Key ids whose data keys are being rewrapped. */
  readonly from: readonly string[];
  readonly to: string;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly failuresByCode: Readonly<Record<string, number>>;
  /** `metadata.occurredAt` of `ReencryptionStarted`. */
  readonly startedAt: string;
  /** `metadata.occurredAt` of `ReencryptionCompleted` / `ReencryptionFailed`; null while running. */
  readonly finishedAt: string | null;
  /** Seconds left at the done rate seen so far; null when not running or not yet measurable. */
  readonly etaSeconds: number | null;
  readonly failureReason: string | null;
}

/** The banner read model of one org: the current (or last) run plus the runs before it. */
export interface ReencryptionBannerDoc {
  readonly orgId: string;
  readonly current: ReencryptionBanner | null;
  /** Earlier runs, newest first, at most `HISTORY_LIMIT`, for auditors. */
  readonly history: readonly ReencryptionBanner[];
}

export const HISTORY_LIMIT = 20;

export function initialBannerDoc(orgId: string): ReencryptionBannerDoc {
  return { orgId, current: null, history: [] };
}

/**
 * Seconds until `total` is reached at the rate `done` grew since the start. Null until at least
 * one data key was done and time has passed, since a rate of zero gives no honest estimate.
 */
export function estimateEtaSeconds(startedAt: string, at: string, done: number, failed: number, total: number): number | null {
  const elapsedSeconds = (Date.parse(at) - Date.parse(startedAt)) / 1000;
  if (done <= 0 || !(elapsedSeconds > 0)) return null;
  const remaining = Math.max(0, total - done - failed);
  return Math.ceil(remaining / (done / elapsedSeconds));
}

/**
 * Folds one keyring event into a run. Events naming another run leave it alone, and every branch
 * is idempotent (counts are absolute in the events), so a duplicate delivery changes nothing.
 */
export function evolveRun(run: ReencryptionBanner | null, event: KeyringEvent): ReencryptionBanner | null {
  switch (event.type) {
    case 'ReencryptionStarted': {
      if (run?.id === event.data.reencryptionId) return run;
      const { reencryptionId, from, to, reason, retryOf } = event.data;
      return {
        id: reencryptionId,
        state: 'running',
        reason,
        retryOf: retryOf ?? null,
        from: [...from],
        to,
        total: 0,
        done: 0,
        failed: 0,
        failuresByCode: {},
        startedAt: event.metadata.occurredAt,
        finishedAt: null,
        etaSeconds: null,
        failureReason: null,
      };
    }
    case 'ReencryptionProgressed': {
      if (run?.id !== event.data.reencryptionId || run.state !== 'running') return run;
      const { done, failed, total } = event.data;
      return { ...run, done, failed, total, etaSeconds: estimateEtaSeconds(run.startedAt, event.metadata.occurredAt, done, failed, total) };
    }
    case 'ReencryptionCompleted': {
      if (run?.id !== event.data.reencryptionId) return run;
      const { rewrapped, failed } = event.data;
      return { ...run, state: 'completed', done: rewrapped, failed, total: Math.max(run.total, rewrapped + failed), finishedAt: event.metadata.occurredAt, etaSeconds: null };
    }
    case 'ReencryptionFailed': {
      if (run?.id !== event.data.reencryptionId) return run;
      const { rewrapped, failed, failuresByCode, reason } = event.data;
      return {
        ...run,
        state: 'failed',
        done: rewrapped,
        failed,
        total: Math.max(run.total, rewrapped + failed),
        failuresByCode: { ...failuresByCode },
        finishedAt: event.metadata.occurredAt,
        etaSeconds: null,
        failureReason: reason,
      };
    }
    case 'KeyAdded':
    case 'DefaultChanged':
    case 'KeyDisabled':
    case 'AllKeysDisabled':
    case 'PlatformOrgKeyDestroyed':
      return run;
    default:
      return unreachable(event);
  }
}

/** Pure projection: the banner of the current run, with earlier runs pushed into the history. */
export function evolveBannerDoc(doc: ReencryptionBannerDoc, event: KeyringEvent): ReencryptionBannerDoc {
  if (event.type === 'ReencryptionStarted') {
    const id = event.data.reencryptionId;
    // A re-delivered start of the current or an earlier run must not push anything.
    if (doc.current?.id === id || doc.history.some((run) => run.id === id)) return doc;
    const history = doc.current ? [doc.current, ...doc.history].slice(0, HISTORY_LIMIT) : doc.history;
    return { ...doc, current: evolveRun(null, event), history };
  }
  const current = evolveRun(doc.current, event);
  return current === doc.current ? doc : { ...doc, current };
}
