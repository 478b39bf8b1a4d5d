import { refuse } from '../shared/domain-error';
import type { CompleteReencryption, FailReencryption, RecordReencryptionProgress, RetryReencryption } from './commands';
import type { KeyringEvent } from './events';
import { isUsableTarget, runIdRefusal, runningRefusal } from './rules';
import type { KeyringState, ReencryptionRun, RunOutcome } from './state';

/**
 * Decisions about a re-encryption run's life: progress, completion, failure and retry. The
 * worker fleet sends these, possibly more than once (job retries), so repeats are harmless.
 */

function requireRunning(state: KeyringState, reencryptionId: string): ReencryptionRun {
  if (state.status === 'reencrypting' && state.run.reencryptionId === reencryptionId) return state.run;
  throw refuse('REENCRYPTION_NOT_RUNNING', 'This re-encryption is not running', {
    reencryptionId,
    runningId: state.status === 'reencrypting' ? state.run.reencryptionId : undefined,
  });
}

function checkCounts(counts: Readonly<Record<string, number>>): void {
  for (const [field, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw refuse('VALIDATION_FAILED', `${field} must be a non-negative integer`, { field, value });
    }
  }
}

/** Progress never goes backwards: a late or repeated report (stale job) is dropped, not refused. */
export function decideProgress(command: RecordReencryptionProgress, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId, done, failed, total } = command.data;
  checkCounts({ done, failed, total });
  const run = requireRunning(state, reencryptionId);
  const stale = done < run.done || failed < run.failed;
  const unchanged = done === run.done && failed === run.failed && total === run.total;
  if (stale || unchanged) return [];
  return [{ type: 'ReencryptionProgressed', data: { orgId, reencryptionId, done, failed, total }, metadata: command.metadata }];
}

/** Finishing a run that already finished the same way is a no-op (the finalize job retried). */
function alreadyFinished(state: KeyringState, reencryptionId: string, outcome: RunOutcome): boolean {
  return state.runs[reencryptionId] === outcome;
}

export function decideComplete(command: CompleteReencryption, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId, rewrapped, failed } = command.data;
  checkCounts({ rewrapped, failed });
  if (alreadyFinished(state, reencryptionId, 'completed')) return [];
  requireRunning(state, reencryptionId);
  return [{ type: 'ReencryptionCompleted', data: { orgId, reencryptionId, rewrapped, failed }, metadata: command.metadata }];
}

export function decideFail(command: FailReencryption, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId, reason, rewrapped, failed, failuresByCode } = command.data;
  checkCounts({ rewrapped, failed, ...failuresByCode });
  if (alreadyFinished(state, reencryptionId, 'failed')) return [];
  requireRunning(state, reencryptionId);
  return [
    {
      type: 'ReencryptionFailed',
      data: { orgId, reencryptionId, reason, rewrapped, failed, failuresByCode: { ...failuresByCode } },
      metadata: command.metadata,
    },
  ];
}

/** A retry re-runs the last, failed run (same sources and target) under a new id. */
export function decideRetry(command: RetryReencryption, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId } = command.data;
  const running = runningRefusal(state);
  if (running) throw running;
  const last = state.lastRun;
  if (last?.outcome !== 'failed') {
    throw refuse('REENCRYPTION_NOT_FAILED', 'Only a failed re-encryption can be retried', {
      lastReencryptionId: last?.reencryptionId,
      outcome: last?.outcome,
    });
  }
  if (!isUsableTarget(state, last.to)) {
    throw refuse('DESTINATION_INVALID', 'The failed run’s target key can no longer receive data keys', {
      reencryptionId: last.reencryptionId,
      to: last.to,
    });
  }
  const idRefusal = runIdRefusal(state, reencryptionId);
  if (idRefusal) throw idRefusal;
  return [
    {
      type: 'ReencryptionStarted',
      data: { orgId, reencryptionId, from: [...last.from], to: last.to, reason: 'retry', retryOf: last.reencryptionId },
      metadata: command.metadata,
    },
  ];
}
