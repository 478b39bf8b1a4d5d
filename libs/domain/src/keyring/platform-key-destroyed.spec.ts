import { keyringDecider } from './decide';
import { specFor, meta, allKeysDisabled, defaultChanged, failed, firstKeyDone, keyAdded, ORG, started } from '@cmk/domain/testing';
import type { RecordPlatformOrgKeyDestroyed } from './commands';
import type { KeyringEvent } from './events';
import { decodeKeyringEvent, encodeKeyringEvent } from './codec';

const given = specFor(keyringDecider);
const M = meta();
const record = (generation: number, reencryptionId: string): RecordPlatformOrgKeyDestroyed => ({
  type: 'RecordPlatformOrgKeyDestroyed',
  data: { orgId: ORG, generation, reencryptionId },
  metadata: M,
});
const destroyed = (generation: number, reencryptionId: string): KeyringEvent => ({
  type: 'PlatformOrgKeyDestroyed',
  data: { orgId: ORG, generation, reencryptionId },
  metadata: M,
});

describe('RecordPlatformOrgKeyDestroyed', () => {
  it('records the destruction a completed first-key run allowed', () => {
    given(firstKeyDone()).when(record(1, 're-k1')).then([destroyed(1, 're-k1')]);
  });

  it('refuses a run that failed or is still running: a failed run keeps the platform key', () => {
    const failedRun = [keyAdded('k1'), defaultChanged('platform', 'k1'), started('re-k1', ['platform'], 'k1', 'first-key'), failed('re-k1')];
    given(failedRun).when(record(1, 're-k1')).thenRefuses('REENCRYPTION_NOT_RUNNING');
    given(failedRun.slice(0, 3)).when(record(1, 're-k1')).thenRefuses('REENCRYPTION_NOT_RUNNING');
  });

  it('records even when disable-all has started since: the record follows the act', () => {
    const back = [...firstKeyDone(), allKeysDisabled(['k1']), defaultChanged('k1', 'platform'), started('re-all', ['k1'], 'platform', 'all-keys-disabled')];
    given(back).when(record(1, 're-k1')).then([destroyed(1, 're-k1')]);
  });

  it('refuses a generation that is not a positive integer', () => {
    given(firstKeyDone()).when(record(0, 're-k1')).thenRefuses('VALIDATION_FAILED', { field: 'generation' });
  });

  it('changes nothing the key ring decides on, and round-trips through the codec without key bytes', () => {
    const before = given(firstKeyDone()).state;
    const after = given([...firstKeyDone(), destroyed(1, 're-k1')]).state;
    expect(after).toEqual(before);
    const encoded = encodeKeyringEvent(destroyed(1, 're-k1'));
    expect(Object.keys(encoded.data).sort()).toEqual(['generation', 'orgId', 'reencryptionId']);
    expect(decodeKeyringEvent(encoded)).toEqual(destroyed(1, 're-k1'));
  });
});
