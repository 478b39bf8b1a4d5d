import { DomainError } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import type { Redis } from 'ioredis';
import { sendKeyringCommand, systemMetadata } from './run-keyring';
import { fleetKeys } from './names';
import type { RunProgress } from './run-progress';

/**
 * Appends `ReencryptionProgressed` at a bounded rate per run, fleet-wide: a Redis gate
 * (`SET NX PX`) lets one batch in `intervalMs` through, whichever worker finishes it. The live
 * banner reads the Redis counters directly, so these events are the durable, coarse record.
 */
export class ProgressReporter {
  constructor(
    private readonly store: EventStore,
    private readonly redis: Redis,
    private readonly progress: RunProgress,
    private readonly intervalMs: number,
  ) {}

  async maybeReport(orgId: string, reencryptionId: string, causationId: string): Promise<boolean> {
    const gate = await this.redis.set(fleetKeys.progressGate(reencryptionId), '1', 'PX', this.intervalMs, 'NX');
    if (gate !== 'OK') return false;
    const counters = await this.progress.read(reencryptionId);
    if (!counters) return false;
    try {
      const { done, failed, total } = counters;
      await sendKeyringCommand(this.store, orgId, {
        type: 'RecordReencryptionProgress',
        data: { orgId, reencryptionId, done, failed, total: Math.max(total, done + failed) },
        metadata: systemMetadata(reencryptionId, causationId),
      });
      return true;
    } catch (error) {
      // The run finished meanwhile (finalize won the race): progress no longer matters.
      if (error instanceof DomainError && error.code === 'REENCRYPTION_NOT_RUNNING') return false;
      throw error;
    }
  }
}
