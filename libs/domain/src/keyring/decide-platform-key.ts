import { refuse } from '../shared/domain-error';
import type { RecordPlatformOrgKeyDestroyed } from './commands';
import { PLATFORM_KEY_ID, type KeyringEvent } from './events';
import type { KeyringState } from './state';

/**
 * Recording that an org platform key generation was destroyed. Only a completed run may allow
 * it, and only while no platform key wraps new data keys: the record must never describe a
 * destruction the rules would not have permitted. Repeats are absorbed by the command's
 * idempotency key (one per org and generation), so the decider needs no memory of them.
 */
export function decidePlatformKeyDestroyed(command: RecordPlatformOrgKeyDestroyed, state: KeyringState): KeyringEvent[] {
  const { orgId, generation, reencryptionId } = command.data;
  if (!Number.isSafeInteger(generation) || generation < 1) {
    throw refuse('VALIDATION_FAILED', 'generation must be a positive integer', { field: 'generation', value: generation });
  }
  if (state.runs[reencryptionId] !== 'completed') {
    throw refuse('REENCRYPTION_NOT_RUNNING', 'Only a completed re-encryption allows destroying the platform key', { reencryptionId });
  }
  if (state.defaultKeyId === PLATFORM_KEY_ID) {
    throw refuse('VALIDATION_FAILED', 'The platform key is the default: it cannot be destroyed', { field: 'defaultKeyId' });
  }
  return [{ type: 'PlatformOrgKeyDestroyed', data: { orgId, generation, reencryptionId }, metadata: command.metadata }];
}
