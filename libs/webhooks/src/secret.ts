import { randomBytes } from 'node:crypto';
import type { WrappedWebhookSecret } from '@cmk/domain';
import type { KeyEncryptionProvider } from '@cmk/key-providers';

/**
 * The signing secret is shown to the admin once and must stay usable for signing, so it cannot
 * be stored hashed like a token. It is stored wrapped by the platform key, bound to the org and
 * the webhook id (a wrapped secret copied to another webhook does not unwrap), and unwrapped
 * only by the delivery worker for the moment it signs.
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const contextOf = (orgId: string, webhookId: string) => ({ org: orgId, dataKey: `webhook-${webhookId}`, purpose: 'webhook-secret' });

export async function wrapWebhookSecret(platform: KeyEncryptionProvider, orgId: string, webhookId: string, secret: string): Promise<WrappedWebhookSecret> {
  const plaintext = Buffer.from(secret, 'utf8');
  try {
    const { wrapped, kekRef } = await platform.wrap(plaintext, contextOf(orgId, webhookId));
    return { kekRef, wrapped: wrapped.toString('base64') };
  } finally {
    plaintext.fill(0);
  }
}

export async function unwrapWebhookSecret(platform: KeyEncryptionProvider, orgId: string, webhookId: string, secret: WrappedWebhookSecret): Promise<string> {
  const plaintext = await platform.unwrap(Buffer.from(secret.wrapped, 'base64'), contextOf(orgId, webhookId));
  try {
    return plaintext.toString('utf8');
  } finally {
    plaintext.fill(0);
  }
}
