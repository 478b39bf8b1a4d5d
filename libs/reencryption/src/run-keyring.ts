import { keyringCodec, keyringDecider, keyringStream, type EventMetadata, type KeyringCommand, type KeyringState } from '@cmk/domain';
import { handleCommand, readState } from '@cmk/application';
import type { EventStore } from '@cmk/eventstore';
import type { RunCounters } from './run-progress';

/**
 * The run as its key ring sees it: every job reads the ring first (a finished or unknown run is
 * left alone), and the fleet's own commands (progress, completion) go back to it as the system.
 */

export async function readKeyring(store: EventStore, orgId: string): Promise<KeyringState> {
  return (await readState(store, keyringStream(orgId), keyringDecider, keyringCodec)).state;
}

/** Whether the run is still the org's running one (finished or unknown runs are not touched). */
export function isRunning(state: KeyringState, reencryptionId: string): boolean {
  return state.status === 'reencrypting' && state.run.reencryptionId === reencryptionId;
}

/** System metadata for commands the fleet sends: correlated to the run, caused by its job. */
export function systemMetadata(reencryptionId: string, causationId: string): EventMetadata {
  return { actor: 'system', requestId: causationId, correlationId: reencryptionId, causationId, occurredAt: new Date().toISOString() };
}

export function sendKeyringCommand(store: EventStore, orgId: string, command: KeyringCommand) {
  return handleCommand(store, keyringStream(orgId), keyringDecider, keyringCodec, command);
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
