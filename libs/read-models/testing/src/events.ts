import { dataKeyStream, keyringStream, type EventMetadata } from '@cmk/domain';
import type { EventData, JsonObject, RecordedEvent } from '@cmk/eventstore';
import { randomUUID } from 'node:crypto';

/** Builders of raw events for the read-model specs; each test passes its own ids. */
export function metadata(occurredAt = '2026-01-01T00:00:00.000Z'): EventMetadata & JsonObject {
  return { actor: 'user:alice', requestId: 'req', correlationId: 'corr', causationId: 'cause', occurredAt };
}

export interface RawSpecEvent {
  readonly stream: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

export const keyring = (orgId: string, type: string, data: JsonObject, at?: string): RawSpecEvent => ({
  stream: keyringStream(orgId),
  type,
  data: { orgId, ...data },
  metadata: metadata(at),
});

export const keyAdded = (orgId: string, keyId: string, at?: string): RawSpecEvent =>
  keyring(
    orgId,
    'KeyAdded',
    {
      keyId,
      name: `key ${keyId}`,
      provider: 'aws-kms',
      roleArn: `arn:aws:iam::111122223333:role/${keyId}`,
      keyArn: `arn:aws:kms:eu-west-1:111122223333:alias/${keyId}`,
      resolvedKeyArn: `arn:aws:kms:eu-west-1:111122223333:key/${keyId}`,
    },
    at,
  );

export const dataKeyIssued = (orgId: string, dataKeyId: string, wrappedBy: string): RawSpecEvent => ({
  stream: dataKeyStream(dataKeyId),
  type: 'DataKeyIssued',
  data: { orgId, dataKeyId, scope: `env-${dataKeyId}`, wrappedBy, kekRef: `kek-${wrappedBy}`, wrapped: 'AAAA' },
  metadata: metadata(),
});

export const dataKeyRewrapped = (orgId: string, dataKeyId: string, from: string, to: string, reencryptionId: string): RawSpecEvent => ({
  stream: dataKeyStream(dataKeyId),
  type: 'DataKeyRewrapped',
  data: { orgId, dataKeyId, from, to, kekRef: `kek-${to}`, wrapped: 'BBBB', reencryptionId },
  metadata: metadata(),
});

export function toEventData(event: RawSpecEvent): EventData {
  return { id: randomUUID(), type: event.type, data: event.data, metadata: event.metadata };
}

/** A recorded form for pure specs: the position is the index given. */
export function recorded(event: RawSpecEvent, seq: number): RecordedEvent {
  const at = BigInt(seq);
  return { streamId: event.stream, id: randomUUID(), type: event.type, revision: 0n, position: { commit: at, prepare: at }, data: event.data, metadata: event.metadata, created: new Date() };
}
