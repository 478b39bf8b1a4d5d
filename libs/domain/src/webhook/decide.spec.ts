import { specFor } from '@cmk/domain/testing';
import { webhooksCodec } from './codec';
import { webhooksDecider } from './decide';
import { MAX_WEBHOOKS_PER_ORG, type WebhookCreated } from './events';

const metadata = { actor: 'user:alice', requestId: 'r', correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00.000Z' };
const given = specFor(webhooksDecider);
const data = (webhookId: string) => ({
  orgId: 'acme',
  webhookId,
  url: 'https://hooks.example.com/cmk',
  events: ['key.health_changed' as const],
  secret: { kekRef: 'platform:v1', wrapped: 'AAAA' },
});
const create = (webhookId: string) => ({ type: 'CreateWebhook' as const, data: data(webhookId), metadata });
const created = (webhookId: string): WebhookCreated => ({ type: 'WebhookCreated', data: data(webhookId), metadata });
const deleted = (webhookId: string) => ({ type: 'WebhookDeleted' as const, data: { orgId: 'acme', webhookId }, metadata });

describe('webhooks decider', () => {
  it('creates and deletes a webhook', () => {
    given([]).when(create('wh1')).then([created('wh1')]);
    given([created('wh1')]).when({ type: 'DeleteWebhook', data: { orgId: 'acme', webhookId: 'wh1' }, metadata }).then([deleted('wh1')]);
  });

  it('refuses an unknown or deleted webhook, a reused id, and more than the limit', () => {
    given([]).when({ type: 'DeleteWebhook', data: { orgId: 'acme', webhookId: 'nope' }, metadata }).thenRefuses('WEBHOOK_NOT_FOUND');
    given([]).when({ type: 'DeleteWebhook', data: { orgId: 'acme', webhookId: '__proto__' }, metadata }).thenRefuses('WEBHOOK_NOT_FOUND');
    given([]).when({ type: 'DeleteWebhook', data: { orgId: 'acme', webhookId: 'constructor' }, metadata }).thenRefuses('WEBHOOK_NOT_FOUND');
    given([created('wh1'), deleted('wh1')]).when({ type: 'DeleteWebhook', data: { orgId: 'acme', webhookId: 'wh1' }, metadata }).thenRefuses('WEBHOOK_NOT_FOUND');
    given([created('wh1'), deleted('wh1')]).when(create('wh1')).thenRefuses('WEBHOOK_EXISTS');
    const full = Array.from({ length: MAX_WEBHOOKS_PER_ORG }, (_, i) => created(`wh${i}`));
    given(full).when(create('one-more')).thenRefuses('WEBHOOK_LIMIT_REACHED');
    given([...full, deleted('wh0')]).when(create('one-more')).then([created('one-more')]);
  });

  it('round-trips through the codec and refuses an unknown event type name', () => {
    expect(webhooksCodec.decode(webhooksCodec.encode(created('wh1')))).toEqual(created('wh1'));
    expect(() => webhooksCodec.decode({ type: 'WebhookCreated', data: { ...data('wh1'), events: ['nope'] }, metadata })).toThrow(/events\[0\]/);
  });
});
