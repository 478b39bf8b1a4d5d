import { assertNever } from '../shared/assert-never';
import { refuse } from '../shared/domain-error';
import type { KeyringCommand } from './commands';
import { decideAddKey, decideDisableAll, decideDisableKey, decideSetDefault } from './decide-keys';
import { decideComplete, decideFail, decideProgress, decideRetry } from './decide-runs';
import type { KeyringEvent } from './events';
import { decidePlatformKeyDestroyed } from './decide-platform-key';
import type { KeyringState } from './state';

/**
 * The key ring decider: pure, total, and the only place the product rules live. Returns the
 * events to append (possibly none, for an idempotent repeat) or throws a `DomainError`.
 */
export function decide(command: KeyringCommand, state: KeyringState): KeyringEvent[] {
  // A command routed to another org's stream is a programming error upstream; refuse it loudly.
  if (state.orgId !== undefined && command.data.orgId !== state.orgId) {
    throw refuse('VALIDATION_FAILED', 'The command is for another organisation', {
      field: 'orgId',
      expected: state.orgId,
      actual: command.data.orgId,
    });
  }
  switch (command.type) {
    case 'AddKey':
      return decideAddKey(command, state);
    case 'SetDefaultKey':
      return decideSetDefault(command, state);
    case 'DisableKey':
      return decideDisableKey(command, state);
    case 'DisableAllKeys':
      return decideDisableAll(command, state);
    case 'RecordReencryptionProgress':
      return decideProgress(command, state);
    case 'CompleteReencryption':
      return decideComplete(command, state);
    case 'FailReencryption':
      return decideFail(command, state);
    case 'RetryReencryption':
      return decideRetry(command, state);
    case 'RecordPlatformOrgKeyDestroyed':
      return decidePlatformKeyDestroyed(command, state);
    default:
      return assertNever(command, 'keyring command');
  }
}
