import { specFor, meta } from '@cmk/domain/testing';
import type { UpgradePlatformWrapping } from './commands';
import { dataKeyDecider } from './decide';
import type { DataKeyEvent } from './events';

const given = specFor(dataKeyDecider);
const M = meta({ actor: 'system' });
const issued = (wrappedBy = 'platform', kekRef = 'platform:v1'): DataKeyEvent => ({
  type: 'DataKeyIssued',
  data: { orgId: 'acme', dataKeyId: 'dk1', scope: 'env/prod', wrappedBy, kekRef, wrapped: 'OLD=' },
  metadata: M,
});
const upgrade = (overrides: Partial<UpgradePlatformWrapping['data']> = {}): UpgradePlatformWrapping => ({
  type: 'UpgradePlatformWrapping',
  data: { orgId: 'acme', dataKeyId: 'dk1', fromKekRef: 'platform:v1', kekRef: 'platform-org:g1', wrapped: 'NEW=', migrationId: 'platform-org-keys', ...overrides },
  metadata: M,
});
const upgraded: DataKeyEvent = {
  type: 'DataKeyRewrapped',
  data: { orgId: 'acme', dataKeyId: 'dk1', from: 'platform', to: 'platform', kekRef: 'platform-org:g1', wrapped: 'NEW=', reencryptionId: 'platform-org-keys' },
  metadata: M,
};

describe('UpgradePlatformWrapping', () => {
  it('moves a data key wrapped directly by a master version under the org platform key (the key stays "platform")', () => {
    given([issued()]).when(upgrade()).then([upgraded]);
    expect(given([issued(), upgraded]).state).toMatchObject({ wrappedBy: 'platform', kekRef: 'platform-org:g1', wrapped: 'NEW=' });
  });

  it('skips a data key that is no longer under exactly that wrap (migrated already, or moved to a CMK)', () => {
    given([issued(), upgraded]).when(upgrade()).then([]);
    given([issued('k1', 'arn:aws:kms:us-east-1:1:key/x')]).when(upgrade({ fromKekRef: 'arn:aws:kms:us-east-1:1:key/x' })).then([]);
  });

  it('refuses unknown data keys, another org, and empty fields', () => {
    given([]).when(upgrade()).thenRefuses('DATA_KEY_NOT_FOUND');
    given([issued()]).when(upgrade({ orgId: 'other' })).thenRefuses('VALIDATION_FAILED');
    given([issued()]).when(upgrade({ wrapped: '' })).thenRefuses('VALIDATION_FAILED', { field: 'wrapped' });
  });
});
