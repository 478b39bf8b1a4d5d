import { initialKeyListDoc, type KeyListDoc } from '@cmk/read-models';
import { summariseDataKeys } from './data-key-summary';

const key = (id: string, name: string, isDefault = false) =>
  ({ id, name, type: 'aws_kms', awsKms: { roleArn: 'r', keyArn: 'k' }, resolvedKeyArn: 'k', isDefault, state: 'active', canSetDefault: !isDefault, canDisable: !isDefault, addedAt: 't' }) as KeyListDoc['keys'][number];

describe('summariseDataKeys', () => {
  it('lists the platform key and every key with its count, zero when it wraps nothing', () => {
    const doc: KeyListDoc = { ...initialKeyListDoc('acme'), keys: [key('k1', 'Prod', true), key('k2', 'Backup')], defaultKeyId: 'k1' };
    expect(summariseDataKeys({ platform: 3, k1: 2 }, doc)).toEqual({
      wrappingKeys: [
        { keyId: 'platform', name: 'Platform managed key', type: 'platform', state: 'active', isDefault: false, dataKeys: 3 },
        { keyId: 'k1', name: 'Prod', type: 'aws_kms', state: 'active', isDefault: true, dataKeys: 2 },
        { keyId: 'k2', name: 'Backup', type: 'aws_kms', state: 'active', isDefault: false, dataKeys: 0 },
      ],
      totalDataKeys: 5,
    });
  });

  it('keeps counts of a wrapper the key list has not caught up with', () => {
    const summary = summariseDataKeys({ k9: 1 }, initialKeyListDoc('acme'));
    expect(summary.wrappingKeys.map((k) => [k.keyId, k.dataKeys, k.isDefault])).toEqual([['platform', 0, true], ['k9', 1, false]]);
    expect(summary.totalDataKeys).toBe(1);
  });
});
