import { ApplicationError } from '@cmk/application';
import { KMS_ERROR_CODES } from '@cmk/key-providers';

/**
 * A port: asked before a data key is generated for a new scope. When the wrapping key is known
 * to be broken by the customer's decision (key health, confirmed), answer why and the issue
 * fails at once with that code, instead of every caller waiting through KMS retries.
 */
export interface NewDataKeyGate {
  blocked(orgId: string, keyId: string): Promise<{ code: string; state: string; reason: string; since: string } | undefined>;
}

export function blockedByHealth(keyId: string, block: { code: string; state: string; reason: string; since: string }): ApplicationError {
  const status = (KMS_ERROR_CODES as Readonly<Record<string, number>>)[block.code] ?? 422;
  return new ApplicationError(block.code, status, `The default key cannot protect new data keys: ${block.reason} (key health: ${block.state} since ${block.since})`, {
    keyId,
    health: block.state,
    since: block.since,
  });
}
