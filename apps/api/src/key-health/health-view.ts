import { blockingCode, isDecisionState, type HealthRecord } from '@cmk/domain';
import type { KeyListDoc } from '@cmk/read-models';

/** A key's health as the key list shows it; null until the first probe. */
export function presentHealth(record: HealthRecord | undefined, confirmations: number) {
  if (!record) return null;
  const { state, reason, since, checkedAt, code, message, observed, pending } = record;
  return {
    state,
    reason,
    since,
    checkedAt,
    code,
    message,
    observed,
    // A decision seen but not yet believed: how many of the needed probes agreed so far.
    pending: pending ? { state: pending.state, confirmations: pending.count, required: confirmations, firstSeen: pending.firstSeen } : null,
  };
}

/**
 * Whether a new scope can get a data key now, and if not why: the default key is in a
 * confirmed decision state (the service blocks nothing else and disables nothing).
 */
export function newDataKeysStatus(doc: KeyListDoc, records: Readonly<Record<string, HealthRecord>>) {
  const record = records[doc.defaultKeyId];
  const code = blockingCode(record);
  if (!record || code === undefined || !isDecisionState(record.state)) return { blocked: false, code: null, reason: null };
  return {
    blocked: true,
    code,
    reason: `The default key is ${record.state.replace('_', ' ')} since ${record.since}: ${record.reason}. Fix it in AWS, or make another key the default.`,
  };
}
