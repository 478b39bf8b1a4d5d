import { isDecisionState, UNKNOWN_HEALTH, type DeclaredHealth, type HealthState } from './events';

/**
 * Turning probes into a declared state: pure, so the rules (what each error means, when a
 * decision is believed) are tested without KMS. The caller times the probe and passes the clock.
 */

/** One canary round trip: its latency and, when it failed, the stable error code and message. */
export type ProbeOutcome =
  | { readonly ok: true; readonly latencyMs: number }
  | { readonly ok: false; readonly latencyMs: number; readonly code: string; readonly message: string };

export interface Observation {
  readonly state: HealthState;
  readonly reason: string;
  /** Stable error code; null when the probe succeeded. */
  readonly code: string | null;
  readonly message: string | null;
}

/** What the probe's error codes mean. Anything not listed is `unreachable`: never a decision. */
const STATE_OF_CODE: Readonly<Record<string, HealthState>> = {
  KMS_ROLE_NOT_ASSUMABLE: 'access_denied',
  KMS_ACCESS_DENIED: 'access_denied',
  KMS_KEY_DISABLED: 'disabled',
  KMS_KEY_PENDING_DELETION: 'pending_deletion',
  KMS_KEY_NOT_FOUND: 'not_found',
  KMS_THROTTLED: 'degraded',
};

const REASONS: Readonly<Record<HealthState, string>> = {
  healthy: 'The canary GenerateDataKey and Decrypt succeeded',
  degraded: 'AWS throttled the canary',
  unreachable: 'AWS could not be reached (not a decision about the key)',
  access_denied: "The role cannot be assumed or the key policy does not allow it (trust or key policy)",
  disabled: 'The KMS key is disabled',
  pending_deletion: 'The KMS key is scheduled for deletion',
  not_found: 'The KMS key or alias does not exist',
};

/** The state one probe observed. A success slower than `slowMs` is `degraded`. */
export function classifyProbe(outcome: ProbeOutcome, slowMs: number): Observation {
  if (outcome.ok) {
    if (outcome.latencyMs > slowMs) {
      return { state: 'degraded', reason: `The canary took ${Math.round(outcome.latencyMs)} ms (threshold ${slowMs} ms)`, code: 'KMS_SLOW', message: null };
    }
    return { state: 'healthy', reason: REASONS.healthy, code: null, message: null };
  }
  const state = STATE_OF_CODE[outcome.code] ?? 'unreachable';
  return { state, reason: REASONS[state], code: outcome.code, message: outcome.message };
}

/** A decision seen but not yet confirmed by enough consecutive probes. */
export interface PendingDecision {
  readonly state: HealthState;
  readonly count: number;
  readonly firstSeen: string;
}

/** What is known about one key's health: the declared state, the last probe, and any pending decision. */
export interface HealthRecord {
  readonly orgId: string;
  readonly keyId: string;
  readonly state: DeclaredHealth;
  readonly reason: string;
  /** Last error code seen (kept while the state lasts); null when healthy. */
  readonly code: string | null;
  readonly message: string | null;
  /** When a probe first saw the declared state. */
  readonly since: string;
  /** When the last probe finished. */
  readonly checkedAt: string;
  readonly latencyMs: number;
  /** What the last probe saw, even when not (yet) declared. */
  readonly observed: HealthState;
  readonly pending: PendingDecision | null;
}

export interface AssessSettings {
  /** Consecutive probes a decision state needs before it is declared (`CMK_KEY_HEALTH_CONFIRMATIONS`). */
  readonly confirmations: number;
  /** Slower successes are `degraded` (`CMK_KEY_HEALTH_SLOW_MS`). */
  readonly slowMs: number;
}

/**
 * Folds one probe into the record. Non-decision states are declared at once (an outage is
 * reported as soon as it is seen, and a recovery too); a decision state only after
 * `confirmations` consecutive probes saw it. Any other observation resets the count, so
 * `unreachable` in between never adds up to a decision.
 */
export function assessProbe(
  previous: HealthRecord | undefined,
  key: { orgId: string; keyId: string },
  outcome: ProbeOutcome,
  settings: AssessSettings,
  at: string,
): HealthRecord {
  const seen = classifyProbe(outcome, settings.slowMs);
  const base = { orgId: key.orgId, keyId: key.keyId, checkedAt: at, latencyMs: outcome.latencyMs, observed: seen.state };
  const declared = previous?.state ?? UNKNOWN_HEALTH;
  const sameAsDeclared = declared === seen.state;
  const declare = (since: string): HealthRecord => ({ ...base, state: seen.state, reason: seen.reason, code: seen.code, message: seen.message, since, pending: null });

  if (sameAsDeclared && previous) return declare(previous.since);
  if (!isDecisionState(seen.state)) return declare(at);

  const count = previous?.pending?.state === seen.state ? previous.pending.count + 1 : 1;
  const firstSeen = previous?.pending?.state === seen.state ? previous.pending.firstSeen : at;
  if (count >= settings.confirmations) return declare(firstSeen);
  const kept = previous ?? { state: UNKNOWN_HEALTH, reason: 'Not checked yet', code: null, message: null, since: at };
  return {
    ...base,
    state: kept.state,
    reason: kept.reason,
    code: kept.code,
    message: kept.message,
    since: kept.since,
    pending: { state: seen.state, count, firstSeen },
  };
}

/** The stable error code new data keys fail with while the default key is in a decision state. */
export function blockingCode(record: HealthRecord | undefined): string | undefined {
  if (!record || !isDecisionState(record.state)) return undefined;
  return record.code ?? DEFAULT_CODES[record.state];
}

const DEFAULT_CODES: Readonly<Record<string, string>> = {
  access_denied: 'KMS_ACCESS_DENIED',
  disabled: 'KMS_KEY_DISABLED',
  pending_deletion: 'KMS_KEY_PENDING_DELETION',
  not_found: 'KMS_KEY_NOT_FOUND',
};
