import type { RecordedEvent } from '@cmk/eventstore';
import { recipientsOf, webhookBodyOf, type WebhookBody } from './payload';

const metadata = { actor: 'system', requestId: 'r', correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00.000Z' };
const recorded = (streamId: string, type: string, data: Record<string, unknown>): RecordedEvent => ({
  streamId,
  id: '6a0c3b2e-1111-4222-8333-444455556666',
  type,
  revision: 0n,
  position: { commit: 1n, prepare: 1n },
  data: data as RecordedEvent['data'],
  metadata,
  created: new Date(0),
});

describe('webhook bodies', () => {
  it('describes a re-encryption outcome with counts and, when failed, the codes', () => {
    expect(webhookBodyOf(recorded('keyring-acme', 'ReencryptionCompleted', { orgId: 'acme', reencryptionId: 're-1', rewrapped: 10, failed: 0 }))).toEqual({
      id: '6a0c3b2e-1111-4222-8333-444455556666',
      type: 'reencryption.completed',
      org: 'acme',
      occurredAt: metadata.occurredAt,
      data: { reencryptionId: 're-1', rewrapped: 10, failed: 0 },
    });
    const failed = { orgId: 'acme', reencryptionId: 're-2', reason: 'access denied', rewrapped: 3, failed: 2, failuresByCode: { KMS_ACCESS_DENIED: 2 } };
    expect(webhookBodyOf(recorded('keyring-acme', 'ReencryptionFailed', failed))).toMatchObject({ type: 'reencryption.failed', data: { reason: 'access denied', failuresByCode: { KMS_ACCESS_DENIED: 2 } } });
  });

  it('describes a health change, and ignores every other event', () => {
    const change = { orgId: 'acme', keyId: 'k1', from: 'healthy', to: 'disabled', reason: 'The KMS key is disabled', code: 'KMS_KEY_DISABLED', since: 't' };
    expect(webhookBodyOf(recorded('keyhealth-acme', 'KeyHealthChanged', change))).toMatchObject({ type: 'key.health_changed', data: { keyId: 'k1', to: 'disabled', code: 'KMS_KEY_DISABLED' } });
    expect(webhookBodyOf(recorded('keyring-acme', 'DefaultChanged', { orgId: 'acme', from: 'platform', to: 'k1' }))).toBeUndefined();
  });
});

describe('recipients', () => {
  const hook = (webhookId: string, createdAt: string, events: WebhookBody['type'][]) => ({ webhookId, url: 'https://x.example', events, secret: { kekRef: 'k', wrapped: 'w' }, createdAt });
  it('are the webhooks subscribed to the type and created before the event happened', () => {
    const state = {
      hooks: {
        early: hook('early', '2026-01-01T00:00:00.000Z', ['key.health_changed']),
        late: hook('late', '2026-01-02T00:00:00.000Z', ['key.health_changed']),
        other: hook('other', '2026-01-01T00:00:00.000Z', ['reencryption.failed']),
      },
      deleted: [],
    };
    const body: WebhookBody = { id: 'e', type: 'key.health_changed', org: 'acme', occurredAt: '2026-01-01T12:00:00.000Z', data: {} };
    expect(recipientsOf(state, body).map((h) => h.webhookId)).toEqual(['early']);
  });
});
