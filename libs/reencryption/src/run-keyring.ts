import { keyringCodec, keyringDecider, keyringStream, sweepSources, type EventMetadata, type KeyringCommand, type KeyringState } from '@cmk/domain';
import { handleCommand, readState } from '@cmk/application';
import type { EventStore } from '@cmk/eventstore';
import { keysAgree, RefusedJobError, type RunKeys, type RunRef } from './payloads';

/**
 * The run as its key ring sees it: every job reads the ring first (a finished or unknown run is
 * left alone), and the fleet's own commands (progress, completion) go back to it as the system.
 */

export async function readKeyring(store: EventStore, orgId: string): Promise<KeyringState> {
  return (await readState(store, keyringStream(orgId), keyringDecider, keyringCodec)).state;
}

/** Whether the run is still the org's running one (finished or unknown runs are not touched). */
export function isRunning(state: KeyringState, reencryptionId: string): state is Extract<KeyringState, { status: 'reencrypting' }> {
  return state.status === 'reencrypting' && state.run.reencryptionId === reencryptionId;
}

/**
 * The keys a job of this run works with, from the key ring alone: the run must be the org's
 * running one, and a payload queued by the previous release that names keys must name exactly
 * the ring's. Anything else is a {@link RefusedJobError} (no retry can make it agree). The sources
 * are those the run really sweeps (`sweepSources`), never a payload's.
 */
export function runKeysFor(state: KeyringState, ref: RunRef): RunKeys {
  if (!isRunning(state, ref.reencryptionId)) {
    const known = state.runs[ref.reencryptionId] !== undefined;
    throw new RefusedJobError(known ? 'run_not_running' : 'unknown_run', `Re-encryption ${ref.reencryptionId} is ${known ? 'not running' : 'not a run of this organisation'}`);
  }
  // A payload of the previous release named the run's recorded keys: compare with those.
  if (!keysAgree(ref.named, { from: state.run.from, to: state.run.to })) {
    throw new RefusedJobError('keys_disagree', `The job names other keys than re-encryption ${ref.reencryptionId} in the key ring`);
  }
  // The sources it really sweeps: a disable-all or a retry also sweeps every CMK no longer active.
  return { from: sweepSources(state, state.run), to: state.run.to };
}

/** System metadata for commands the fleet sends: correlated to the run, caused by its job. */
export function systemMetadata(reencryptionId: string, causationId: string): EventMetadata {
  return { actor: 'system', requestId: causationId, correlationId: reencryptionId, causationId, occurredAt: new Date().toISOString() };
}

export function sendKeyringCommand(store: EventStore, orgId: string, command: KeyringCommand) {
  return handleCommand(store, keyringStream(orgId), keyringDecider, keyringCodec, command);
}
