import type { Message } from '../shared/metadata';

/**
 * What a key's canary probe says about it. `healthy`, `degraded` (throttled or slow) and
 * `unreachable` (network, STS, our identity provider, KMS 5xx, time-outs) are about the path to
 * the key; the decision states are the customer's KMS answering a decision about the key itself.
 */
export const HEALTH_STATES = ['healthy', 'degraded', 'unreachable', 'access_denied', 'disabled', 'pending_deletion', 'not_found'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/** States declared only after `CMK_KEY_HEALTH_CONFIRMATIONS` consecutive probes agree. */
export const DECISION_STATES = ['access_denied', 'disabled', 'pending_deletion', 'not_found'] as const;
export type DecisionState = (typeof DECISION_STATES)[number];

export function isDecisionState(state: string): state is DecisionState {
  return (DECISION_STATES as readonly string[]).includes(state);
}

/** Before the first declared state (a new key, or a decision not yet confirmed). */
export const UNKNOWN_HEALTH = 'unknown';
export type DeclaredHealth = HealthState | typeof UNKNOWN_HEALTH;

/** A key's declared health changed. Probes that change nothing append nothing. */
export type KeyHealthChanged = Message<
  'KeyHealthChanged',
  {
    orgId: string;
    keyId: string;
    from: DeclaredHealth;
    to: HealthState;
    /** Why, in words an admin can act on. */
    reason: string;
    /** The stable error code of the probe that established it (`KMS_KEY_DISABLED`, ...); absent when healthy. */
    code?: string;
    /** When a probe first saw this state (before confirmations). */
    since: string;
  }
>;

export type KeyHealthEvent = KeyHealthChanged;
