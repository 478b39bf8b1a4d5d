import { fold } from '@cmk/application';
import { webhooksCodec, webhooksDecider, webhooksStream, type WebhooksState } from '@cmk/domain';
import type { EventStore, RecordedEvent } from '@cmk/eventstore';

/** The org's webhooks, read from their stream (the source of truth; the stream is short). */
export async function readWebhooks(store: EventStore, orgId: string): Promise<{ state: WebhooksState; recorded: readonly RecordedEvent[] }> {
  const recorded = await store.readStream(webhooksStream(orgId));
  return { state: fold(recorded, webhooksDecider, webhooksCodec), recorded };
}
