import { blockingCode } from '@cmk/domain';
import type { HealthStore } from './health-store';

/** Why new data keys cannot be issued under a key right now. */
export interface HealthBlock {
  readonly code: string;
  readonly state: string;
  readonly reason: string;
  readonly since: string;
}

/**
 * Signal, don't act: nothing is disabled, but while the default key is in a confirmed decision
 * state a new scope's data key fails at once with that state's code instead of waiting through
 * KMS retries. Keys the probe has not declared broken are never blocked.
 */
export class KeyHealthGate {
  constructor(private readonly health: HealthStore) {}

  async blocked(orgId: string, keyId: string): Promise<HealthBlock | undefined> {
    const record = await this.health.get(orgId, keyId);
    const code = blockingCode(record);
    if (!record || code === undefined) return undefined;
    return { code, state: record.state, reason: record.reason, since: record.since };
  }
}
