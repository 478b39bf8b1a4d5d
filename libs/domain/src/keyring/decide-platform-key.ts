import { refuse } from '../shared/domain-error';
import type { RecordPlatformOrgKeyDestroyed } from './commands';
import type { KeyringEvent } from './events';
import type { KeyringState } from './state';

/**
 * Recording that an org platform key generation was destroyed. Only a completed run allows it
 * (the worker destroys just before it appends the completion, while the run still blocks every
 * key ring change, and records right after). The record follows the act, so it is not refused
 * for anything that may have changed since (disable-all may already have started). Repeats are
 * absorbed by the command's
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
  return [{ type: 'PlatformOrgKeyDestroyed', data: { orgId, generation, reencryptionId }, metadata: command.metadata }];
}
