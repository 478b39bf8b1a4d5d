import type { DataKeyEvent, KeyringEvent } from '@cmk/domain';
import { toProjectedEvent } from '@cmk/read-models';
import { recorded, type RawSpecEvent } from './events';

/** Decodes spec events through the same edge the runner uses. */
export function keyringEvents(...raw: RawSpecEvent[]): KeyringEvent[] {
  return raw.map((event, i) => {
    const projected = toProjectedEvent(recorded(event, i));
    if (projected?.category !== 'keyring') throw new Error(`not a keyring event: ${event.type}`);
    return projected.event;
  });
}

export function dataKeyEvents(...raw: RawSpecEvent[]): DataKeyEvent[] {
  return raw.map((event, i) => {
    const projected = toProjectedEvent(recorded(event, i));
    if (projected?.category !== 'datakey') throw new Error(`not a data key event: ${event.type}`);
    return projected.event;
  });
}
