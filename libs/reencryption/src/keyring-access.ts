import { decodeKeyringEvent, encodeKeyringEvent, keyringDecider, keyringStream, PLATFORM_KEY_ID, type EventMetadata, type KeyringCommand, type KeyringState } from '@cmk/domain';
import { fold, handleCommand } from '@cmk/application';
import type { EventStore } from '@cmk/eventstore';
import type { KeyEncryptionProvider, ProviderRequest } from '@cmk/key-providers';
import { parseKeyArn } from '@cmk/domain';
import type { RunCounters } from './run-progress';

const codec = { decode: decodeKeyringEvent, encode: encodeKeyringEvent };

/** What the fleet needs from the key providers (the registry fits; tests may pass their own). */
export interface ProviderSource {
  providerFor(request: ProviderRequest): KeyEncryptionProvider;
}

/** System metadata for commands the fleet sends: correlated to the run, caused by its job. */
export function systemMetadata(reencryptionId: string, causationId: string): EventMetadata {
  return { actor: 'system', requestId: causationId, correlationId: reencryptionId, causationId, occurredAt: new Date().toISOString() };
}

export async function readKeyring(store: EventStore, orgId: string): Promise<KeyringState> {
  return fold(await store.readStream(keyringStream(orgId)), keyringDecider, codec);
}

/** Whether the run is still the org's running one (finished or unknown runs are not touched). */
export function isRunning(state: KeyringState, reencryptionId: string): boolean {
  return state.status === 'reencrypting' && state.run.reencryptionId === reencryptionId;
}

export function sendKeyringCommand(store: EventStore, orgId: string, command: KeyringCommand) {
  return handleCommand(store, keyringStream(orgId), keyringDecider, codec, command);
}

/** The provider request for a key id of the ring; `kekRef` pins the exact KMS key of a wrap. */
export function providerRequest(state: KeyringState, orgId: string, keyId: string, kekRef?: string): ProviderRequest {
  if (keyId === PLATFORM_KEY_ID) return { orgId, wrappedBy: keyId };
  const key = state.keys.find((k) => k.keyId === keyId);
  return { orgId, wrappedBy: keyId, roleArn: key?.roleArn, resolvedKeyArn: kekRef && parseKeyArn(kekRef)?.kind === 'key' ? kekRef : key?.resolvedKeyArn };
}

/** The AWS account a provider's KMS calls count against; undefined for the local platform key. */
export function kmsAccountOf(provider: KeyEncryptionProvider): string | undefined {
  const parts = parseKeyArn(provider.kekRef);
  return parts ? `${parts.accountId}-${parts.region}` : undefined;
}

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
