import { UnrecoverableError, type Job } from 'bullmq';
import { hookOf } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import type { EventStore } from '@cmk/eventstore';
import type { KeyEncryptionProvider } from '@cmk/key-providers';
import type { DeliveryJobData } from './dispatcher';
import type { DeliveryLog } from './delivery-log';
import { postJson } from './http-post';
import type { WebhookMetrics } from './metrics';
import { unwrapWebhookSecret } from './secret';
import { SIGNATURE_HEADER, signatureHeader } from './signature';
import type { WebhookSettings } from './settings';
import { checkWebhookUrl, type Resolver } from './url-policy';
import { readWebhooks } from './webhooks-reader';

export interface DeliverContext {
  readonly store: EventStore;
  readonly platform: KeyEncryptionProvider;
  readonly log: DeliveryLog;
  readonly settings: WebhookSettings;
  readonly metrics: WebhookMetrics;
  readonly resolve?: Resolver;
}

/**
 * One attempt of one delivery. The webhook is read again (deleted since → cancelled), its URL is
 * checked again (DNS may have changed since creation), the secret is unwrapped only to sign.
 * A non-2xx answer or a network error throws so BullMQ retries with backoff; the last attempt's
 * failure is logged as `failed`. A URL that now points somewhere forbidden is not retried.
 */
export async function deliver(context: DeliverContext, job: Job<DeliveryJobData>): Promise<{ statusCode: number }> {
  const { orgId, webhookId, deliveryId, eventType, body } = job.data;
  const attempt = job.attemptsMade + 1;
  const now = () => new Date().toISOString();
  const hook = hookOf((await readWebhooks(context.store, orgId)).state, webhookId);
  if (!hook) {
    await context.log.update(deliveryId, { status: 'cancelled', lastError: 'the webhook was deleted' }, now());
    context.metrics.delivery('cancelled');
    return { statusCode: 0 };
  }
  let target;
  try {
    target = await checkWebhookUrl(hook.url, context.settings, context.resolve);
  } catch (error) {
    const message = error instanceof ApplicationError ? `${error.code}: ${error.message}` : String(error);
    await context.log.update(deliveryId, { status: 'failed', attempts: attempt, lastError: message }, now());
    context.metrics.delivery('refused');
    throw new UnrecoverableError(message);
  }
  const secret = await unwrapWebhookSecret(context.platform, orgId, webhookId, hook.secret);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = { [SIGNATURE_HEADER]: signatureHeader(secret, timestamp, body), 'X-CMK-Delivery': deliveryId, 'X-CMK-Event': eventType };
  let statusCode: number | null = null;
  let failure: string;
  try {
    statusCode = (await postJson(target.url, target.addresses, body, headers, context.settings.timeoutMs)).statusCode;
    if (statusCode >= 200 && statusCode < 300) {
      await context.log.update(deliveryId, { status: 'delivered', attempts: attempt, lastStatusCode: statusCode, lastError: null }, now());
      context.metrics.delivery('delivered');
      return { statusCode };
    }
    failure = statusCode >= 300 && statusCode < 400 ? `HTTP ${statusCode} (redirects are not followed)` : `HTTP ${statusCode}`;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  const last = attempt >= (job.opts.attempts ?? 1);
  await context.log.update(deliveryId, { status: last ? 'failed' : 'retrying', attempts: attempt, lastStatusCode: statusCode, lastError: failure }, now());
  context.metrics.delivery(last ? 'failed' : 'retried');
  throw new Error(failure);
}
