import { keyringCodec, keyringDecider, keyringStream, sweepSources, type EventMetadata, type KeyringCommand, type KeyringState } from '@cmk/domain';
import { handleCommand, readState } from '@cmk/application';
import type { EventStore } from '@cmk/eventstore';

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

/**
 * The run with the sources it really sweeps, read from the key ring (not from a job payload):
 * a disable-all or a retry also sweeps every CMK no longer active (`sweepSources`).
 */
export function sweptRun<T extends { readonly from: readonly string[] }>(state: KeyringState, data: T): T {
  return state.status === 'reencrypting' ? { ...data, from: sweepSources(state, state.run) } : data;
}

/** System metadata for commands the fleet sends: correlated to the run, caused by its job. */
export function systemMetadata(reencryptionId: string, causationId: string): EventMetadata {
  return { actor: 'system', requestId: causationId, correlationId: reencryptionId, causationId, occurredAt: new Date().toISOString() };
}

export function sendKeyringCommand(store: EventStore, orgId: string, command: KeyringCommand) {
  return handleCommand(store, keyringStream(orgId), keyringDecider, keyringCodec, command);
}
