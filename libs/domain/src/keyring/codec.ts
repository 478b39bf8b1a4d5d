import { decodeMetadata, encodeMessage, readData, EventDecodingError, type EncodedEvent, type EventCodec, type RawEvent, type UpcasterRegistry } from '../shared/codec';
import type { KeyringEvent } from './events';

const REASONS = ['first-key', 'key-disabled', 'all-keys-disabled', 'retry'] as const;

/**
 * Older shapes still in the log:
 * - `ReencryptionFailed` v1 carried only `{ orgId, reencryptionId, reason }`: counts were added
 *   later. A v1 failure is read as "nothing counted", which is what the banner showed then.
 * - `KeyAdded` before other providers were planned had no `provider`: it was always AWS KMS.
 */
export const KEYRING_UPCASTERS: UpcasterRegistry = {
  ReencryptionFailed: [(data) => ({ rewrapped: 0, failed: 0, failuresByCode: {}, ...data })],
  KeyAdded: [(data) => ({ provider: 'aws-kms', ...data })],
};

/** Validates and upcasts a stored key ring event; throws `EventDecodingError` on any mismatch. */
export function decodeKeyringEvent(raw: RawEvent): KeyringEvent {
  const metadata = decodeMetadata(raw.metadata, raw.type);
  const d = readData(raw, KEYRING_UPCASTERS);
  const orgId = d.string('orgId');
  switch (raw.type) {
    case 'KeyAdded':
      return {
        type: 'KeyAdded',
        data: {
          orgId,
          keyId: d.string('keyId'),
          name: d.string('name'),
          provider: d.oneOf('provider', ['aws-kms'] as const),
          roleArn: d.string('roleArn'),
          keyArn: d.string('keyArn'),
          resolvedKeyArn: d.string('resolvedKeyArn'),
        },
        metadata,
      };
    case 'DefaultChanged':
      return { type: 'DefaultChanged', data: { orgId, from: d.string('from'), to: d.string('to') }, metadata };
    case 'KeyDisabled':
      return { type: 'KeyDisabled', data: { orgId, keyId: d.string('keyId'), reencryptTo: d.string('reencryptTo') }, metadata };
    case 'AllKeysDisabled':
      return { type: 'AllKeysDisabled', data: { orgId, keyIds: d.stringArray('keyIds') }, metadata };
    case 'ReencryptionStarted': {
      const retryOf = d.optionalString('retryOf');
      return {
        type: 'ReencryptionStarted',
        data: {
          orgId,
          reencryptionId: d.string('reencryptionId'),
          from: d.stringArray('from'),
          to: d.string('to'),
          reason: d.oneOf('reason', REASONS),
          ...(retryOf === undefined ? {} : { retryOf }),
        },
        metadata,
      };
    }
    case 'ReencryptionProgressed':
      return {
        type: 'ReencryptionProgressed',
        data: { orgId, reencryptionId: d.string('reencryptionId'), done: d.count('done'), failed: d.count('failed'), total: d.count('total') },
        metadata,
      };
    case 'ReencryptionCompleted':
      return {
        type: 'ReencryptionCompleted',
        data: { orgId, reencryptionId: d.string('reencryptionId'), rewrapped: d.count('rewrapped'), failed: d.count('failed') },
        metadata,
      };
    case 'ReencryptionFailed':
      return {
        type: 'ReencryptionFailed',
        data: {
          orgId,
          reencryptionId: d.string('reencryptionId'),
          reason: d.string('reason'),
          rewrapped: d.count('rewrapped'),
          failed: d.count('failed'),
          failuresByCode: d.countRecord('failuresByCode'),
        },
        metadata,
      };
    case 'PlatformOrgKeyDestroyed':
      return {
        type: 'PlatformOrgKeyDestroyed',
        data: { orgId, generation: d.count('generation'), reencryptionId: d.string('reencryptionId') },
        metadata,
      };
    default:
      throw new EventDecodingError(raw.type, 'type', 'not a key ring event');
  }
}

export function encodeKeyringEvent(event: KeyringEvent): EncodedEvent {
  return encodeMessage(event);
}

export const keyringCodec: EventCodec<KeyringEvent> = { decode: decodeKeyringEvent, encode: encodeKeyringEvent };
