import { WaitingChildrenError, type Job, type Queue } from 'bullmq';
import type { EventMetadata, KeyringCommand } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import type { ReadModelQueries } from '@cmk/read-models';
import type { ReencryptionSettings } from './config';
import { isRunning, readKeyring, sendKeyringCommand, sweptRun, systemMetadata } from './run-keyring';
import { parseFinalizeJob, type RunRef } from './payloads';
import type { RunCounters, RunProgress } from './run-progress';
import { scheduleBatch } from './scheduling';
import { destroyPlatformKeyIfUnused, recordDestroyedPlatformKeys, type PlatformKeyShredder } from './platform-key-shredding';

export interface FinalizeDependencies {
  readonly store: EventStore;
  readonly queries: ReadModelQueries;
  readonly progress: RunProgress;
  readonly batches: Queue;
  readonly settings: ReencryptionSettings;
  /** Org platform keys to destroy when a run leaves nothing under them (crypto-shredding). */
  readonly platformKeys?: PlatformKeyShredder;
}

/** Code recorded for keys still under a source after the last round (never silently dropped). */
export const INCOMPLETE_CODE = 'REENCRYPTION_INCOMPLETE';

/**
 * The flow's parent: runs once the plan and every batch have finished. Before it ends the run it
 * re-checks the index (caught up to the store's head) for data keys still under a source that
 * did not fail in this run. Those are keys issued under a source after the plan paged (a secret
 * created while the default switched), keys of a batch that exhausted its attempts, or keys a
 * crashed plan missed. It schedules them as another round of batches under itself and waits
 * for them (BullMQ's `moveToWaitingChildren`), at most `maxRounds` rounds; what is still left
 * then is recorded as failed with `REENCRYPTION_INCOMPLETE`, so the run fails visibly and the
 * admin's retry picks those keys up. Then it appends `ReencryptionCompleted` or
 * `ReencryptionFailed` (idempotent in the decider, so a re-run finalize is harmless).
 */
export async function runFinalize(deps: FinalizeDependencies, job: Job, token: string | undefined): Promise<{ outcome: string }> {
  const data = parseFinalizeJob(job.data);
  for (;;) {
    const keyring = await readKeyring(deps.store, data.orgId);
    if (!isRunning(keyring, data.reencryptionId)) {
      // A finalize re-run after a crash between completing and recording: record what was destroyed.
      if (keyring.runs[data.reencryptionId] === 'completed') await recordShredding(deps, data.orgId, data.reencryptionId, String(job.id));
      return { outcome: 'not running' };
    }
    const head = await deps.store.headPosition();
    const caughtUp = await deps.queries.waitForCheckpoint(head, { timeoutMs: deps.settings.indexWaitMs, intervalMs: 50 });
    if (!caughtUp) throw new Error('The data-key index has not caught up with the event store yet');

    const leftovers = await findLeftovers(deps, sweptRun(keyring, data));
    const round = (await currentRound(job)) ?? data.round ?? 1;
    if (leftovers.length > 0 && round < deps.settings.maxRounds && token !== undefined) {
      const next = round + 1;
      for (let page = 0; page * deps.settings.batchSize < leftovers.length; page += 1) {
        const ids = leftovers.slice(page * deps.settings.batchSize, (page + 1) * deps.settings.batchSize);
        await scheduleBatch(deps.batches, deps.progress, deps.settings, data, next, page, ids);
      }
      await job.updateData({ ...data, round: next });
      if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
      continue; // the children finished already: check again
    }
    if (leftovers.length > 0) {
      await deps.progress.record(data.reencryptionId, leftovers.map((dataKeyId) => ({ dataKeyId, outcome: 'failed', code: INCOMPLETE_CODE })));
    }
    const counters = (await deps.progress.read(data.reencryptionId)) ?? { total: 0, done: 0, failed: 0, failuresByCode: {} };
    // A failed run keeps the platform key (its data keys may still be under it); its retry shreds.
    if (counters.failed === 0 && deps.platformKeys) {
      await destroyPlatformKeyIfUnused({ ...deps, platformKeys: deps.platformKeys, indexWaitMs: deps.settings.indexWaitMs }, keyring, data.orgId);
    }
    const result = await sendKeyringCommand(deps.store, data.orgId, finishCommand(data.orgId, data.reencryptionId, counters, systemMetadata(data.reencryptionId, String(job.id))));
    if (counters.failed === 0) await recordShredding(deps, data.orgId, data.reencryptionId, String(job.id));
    await deps.progress.expire(data.reencryptionId, 24 * 3600);
    return { outcome: result.events[0]?.type ?? 'already finished' };
  }
}

async function recordShredding(deps: FinalizeDependencies, orgId: string, reencryptionId: string, causationId: string): Promise<void> {
  if (!deps.platformKeys) return;
  const shredding = { ...deps, platformKeys: deps.platformKeys, indexWaitMs: deps.settings.indexWaitMs };
  await recordDestroyedPlatformKeys(shredding, orgId, reencryptionId, systemMetadata(reencryptionId, causationId));
}

async function currentRound(job: Job): Promise<number | undefined> {
  const round: unknown = (job.data as { round?: unknown } | undefined)?.round;
  return typeof round === 'number' ? round : undefined;
}

/** Data keys still under a source of the run, minus those that failed in it. */
async function findLeftovers(deps: FinalizeDependencies, run: RunRef): Promise<string[]> {
  const leftovers: string[] = [];
  for (const source of run.from) {
    let cursor: string | undefined;
    do {
      const page = await deps.queries.listDataKeys(run.orgId, source, { cursor, limit: 10_000 });
      const failed = await deps.progress.failedAmong(run.reencryptionId, page.ids);
      leftovers.push(...page.ids.filter((id) => !failed.has(id)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
  return leftovers;
}

/** The command that ends a run: completed when nothing failed, failed (with counts by code) otherwise. */
export function finishCommand(orgId: string, reencryptionId: string, counters: RunCounters, metadata: EventMetadata): KeyringCommand {
  if (counters.failed === 0) {
    return { type: 'CompleteReencryption', data: { orgId, reencryptionId, rewrapped: counters.done, failed: 0 }, metadata };
  }
  const reason = `${counters.failed} data key(s) could not be rewrapped: ${Object.entries(counters.failuresByCode).map(([code, n]) => `${code} ${n}`).join(', ')}`;
  return {
    type: 'FailReencryption',
    data: { orgId, reencryptionId, reason, rewrapped: counters.done, failed: counters.failed, failuresByCode: { ...counters.failuresByCode } },
    metadata,
  };
}
