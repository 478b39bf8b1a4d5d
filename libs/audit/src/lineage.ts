import { ApplicationError } from '@cmk/application';
import { dataKeyStream, decodeDataKeyEvent } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import { AUDIT_ERROR_CODES } from './errors';

/** One wrap of a data key: which key wrapped it, under which provider key, when, by which run. */
export interface Wrap {
  readonly revision: string;
  readonly type: string;
  readonly wrappedBy: string;
  /** The wrapping key before this wrap (rewraps only). */
  readonly from: string | null;
  readonly kekRef: string;
  readonly reencryptionId: string | null;
  readonly occurredAt: string;
  readonly actor: string;
}

const notFound = (dataKeyId: string) => new ApplicationError('DATA_KEY_NOT_FOUND', AUDIT_ERROR_CODES.DATA_KEY_NOT_FOUND, `Data key ${dataKeyId} not found`);

/**
 * Every wrap of a data key, from its own stream (the source of truth), oldest first. Key bytes
 * (`wrapped`) are never returned. A data key of another org answers 404 like an unknown one.
 */
export async function dataKeyLineage(store: EventStore, orgId: string, dataKeyId: string): Promise<{ dataKeyId: string; scope: string; wraps: Wrap[] }> {
  let stream: string;
  try {
    stream = dataKeyStream(dataKeyId);
  } catch {
    throw notFound(dataKeyId);
  }
  const events = (await store.readStream(stream)).map((recorded) => ({ recorded, event: decodeDataKeyEvent(recorded) }));
  const first = events[0]?.event;
  if (!first || first.type !== 'DataKeyIssued' || first.data.orgId !== orgId) throw notFound(dataKeyId);
  const wraps = events.flatMap(({ recorded, event }): Wrap[] => {
    // Use reservations (encryption counting) change no wrap.
    if (event.type === 'DataKeyUseReserved') return [];
    const common = { revision: recorded.revision.toString(), type: event.type, kekRef: event.data.kekRef, occurredAt: event.metadata.occurredAt, actor: event.metadata.actor };
    return event.type === 'DataKeyIssued'
      ? [{ ...common, wrappedBy: event.data.wrappedBy, from: null, reencryptionId: null }]
      : [{ ...common, wrappedBy: event.data.to, from: event.data.from, reencryptionId: event.data.reencryptionId }];
  });
  return { dataKeyId, scope: first.data.scope, wraps };
}
