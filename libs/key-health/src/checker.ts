import { randomUUID } from 'node:crypto';
import { handleCommand } from '@cmk/application';
import { assessProbe, keyHealthCodec, keyHealthDecider, keyHealthStream, UNKNOWN_HEALTH, type HealthRecord, type ProbeOutcome } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import type { HealthStore } from './health-store';
import type { HealthMetrics } from './metrics';
import type { KeyHealthSettings } from './settings';

/** What the checker needs of a key: where it lives (ids and ARNs only, never key material). */
export interface ProbedKey {
  readonly orgId: string;
  readonly keyId: string;
  readonly roleArn: string;
  readonly resolvedKeyArn: string;
}

/** The canary (`KeyHealthProbe` in production). */
export interface Probe {
  probe(target: { orgId: string; roleArn: string; keyArn: string }, timeoutMs: number): Promise<ProbeOutcome>;
}

export interface CheckerOptions {
  readonly store: EventStore;
  readonly health: HealthStore;
  readonly probe: Probe;
  readonly settings: KeyHealthSettings;
  readonly metrics?: HealthMetrics;
  /** Default `() => new Date()`. */
  readonly clock?: () => Date;
}

/** Who asked: the scheduler (`system`) or an admin's request (its metadata). */
export interface CheckCause {
  readonly actor: string;
  readonly tokenId?: string;
  readonly requestId?: string;
  readonly correlationId?: string;
}

/**
 * One check of one key: probe, fold the outcome into the live record (confirmations), then
 * record the declared state on the `keyhealth-<org>` stream. The decider appends only on a
 * change, so recording on every check costs a read and makes a change that failed to append
 * (store down) land on the next check instead of being lost.
 */
export class KeyHealthChecker {
  private readonly clock: () => Date;

  constructor(private readonly options: CheckerOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  async check(key: ProbedKey, cause: CheckCause = { actor: 'system' }): Promise<HealthRecord> {
    const { settings } = this.options;
    const outcome = await this.options.probe.probe({ orgId: key.orgId, roleArn: key.roleArn, keyArn: key.resolvedKeyArn }, settings.timeoutMs);
    this.options.metrics?.probed(outcome.latencyMs / 1000);
    const at = this.clock().toISOString();
    const { current } = await this.options.health.update(key.orgId, key.keyId, (previous) => assessProbe(previous, key, outcome, settings, at));
    if (current.state !== UNKNOWN_HEALTH) await this.record({ ...current, state: current.state }, cause, at);
    return current;
  }

  private async record(record: HealthRecord & { state: Exclude<HealthRecord['state'], typeof UNKNOWN_HEALTH> }, cause: CheckCause, at: string): Promise<void> {
    const requestId = cause.requestId ?? `health-${randomUUID()}`;
    const command = {
      type: 'RecordKeyHealth' as const,
      data: {
        orgId: record.orgId,
        keyId: record.keyId,
        state: record.state,
        reason: record.reason,
        ...(record.code === null ? {} : { code: record.code }),
        since: record.since,
      },
      metadata: {
        actor: cause.actor,
        ...(cause.tokenId === undefined ? {} : { tokenId: cause.tokenId }),
        requestId,
        correlationId: cause.correlationId ?? requestId,
        causationId: requestId,
        occurredAt: at,
      },
    };
    await handleCommand(this.options.store, keyHealthStream(record.orgId), keyHealthDecider, keyHealthCodec, command);
  }
}
