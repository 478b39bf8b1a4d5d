import { keyringDecider } from './decide';
import { standInKeyArn } from './rules';
import { specFor, addKey, completed, defaultChanged, firstKeyDone, keyAdded, keyArnOf, started, allKeysDisabled, ORG } from '@cmk/domain/testing';

const given = specFor(keyringDecider);

describe('AddKey', () => {
  it('makes the first key the default and starts moving data keys off the platform key', () => {
    given([])
      .when(addKey('k1'))
      .then([keyAdded('k1'), defaultChanged('platform', 'k1'), started('re-k1', ['platform'], 'k1', 'first-key')]);
  });

  it('only adds a further key (no default change, no run)', () => {
    given(firstKeyDone()).when(addKey('k2')).then([keyAdded('k2')]);
  });

  it('allows adding a further key while a run is running', () => {
    given([keyAdded('k1'), defaultChanged('platform', 'k1'), started('re-k1', ['platform'], 'k1', 'first-key')])
      .when(addKey('k2'))
      .then([keyAdded('k2')]);
  });

  it('refuses a first key while a re-encryption is still running', () => {
    // every CMK was disabled and the run moving data keys to the platform key is still going
    const history = [...firstKeyDone(), allKeysDisabled(['k1']), defaultChanged('k1', 'platform'), started('re-all', ['k1'], 'platform', 'all-keys-disabled')];
    given(history).when(addKey('k2')).thenRefuses('REENCRYPTION_RUNNING', { reencryptionId: 're-all' });
  });

  it('treats a key added after disable-all completed as a first key again', () => {
    const history = [
      ...firstKeyDone(),
      allKeysDisabled(['k1']),
      defaultChanged('k1', 'platform'),
      started('re-all', ['k1'], 'platform', 'all-keys-disabled'),
      completed('re-all'),
    ];
    given(history)
      .when(addKey('k2'))
      .then([keyAdded('k2'), defaultChanged('platform', 'k2'), started('re-k2', ['platform'], 'k2', 'first-key')]);
  });

  it.each(['free', 'team'] as const)('requires a CMK edition (%s is refused)', (edition) => {
    given([]).when(addKey('k1', { edition })).thenRefuses('EDITION_REQUIRED');
  });

  it('accepts the business-critical edition', () => {
    given([])
      .when(addKey('k1', { edition: 'business-critical' }))
      .then([keyAdded('k1'), defaultChanged('platform', 'k1'), started('re-k1', ['platform'], 'k1', 'first-key')]);
  });

  describe('names', () => {
    it('trims the name', () => {
      given(firstKeyDone()).when(addKey('k2', { name: '  Prod  ' })).then([keyAdded('k2', 'Prod')]);
    });

    it.each(['', '   ', 'x'.repeat(65), 'nul\u0000inside', 'line\nbreak', 'rtl\u202Eoverride', 'lone\uD800surrogate', 'zero\u200Bwidth'])('refuses %j', (name) => {
      given([]).when(addKey('k1', { name })).thenRefuses('INVALID_KEY_NAME');
    });

    it('accepts names in any script, with spaces and punctuation', () => {
      const name = 'Clé de production — 東京';
      given(firstKeyDone()).when(addKey('k2', { name })).then([keyAdded('k2', name)]);
    });

    it('accepts 64 characters', () => {
      given(firstKeyDone()).when(addKey('k2', { name: 'x'.repeat(64) })).then([keyAdded('k2', 'x'.repeat(64))]);
    });

    it('refuses a name already used, case-insensitively', () => {
      given(firstKeyDone()).when(addKey('k2', { name: ' KEY K1 ' })).thenRefuses('KEY_NAME_TAKEN', { keyId: 'k1' });
    });

    it('keeps names of disabled keys taken', () => {
      const history = [...firstKeyDone(), allKeysDisabled(['k1']), defaultChanged('k1', 'platform'), started('re-all', ['k1'], 'platform', 'all-keys-disabled'), completed('re-all')];
      given(history).when(addKey('k2', { name: 'key k1' })).thenRefuses('KEY_NAME_TAKEN');
    });
  });

  describe('ARNs', () => {
    it('refuses an invalid role ARN', () => {
      given([]).when(addKey('k1', { roleArn: 'arn:aws:iam::123:role/x' })).thenRefuses('INVALID_ROLE_ARN');
    });

    it('refuses an invalid key ARN', () => {
      given([]).when(addKey('k1', { keyArn: 'arn:aws:kms:us-east-1:123456789012:keys/x' })).thenRefuses('INVALID_KEY_ARN');
    });

    it('accepts an alias ARN resolved to a key ARN in the same account and region', () => {
      const keyArn = 'arn:aws:kms:us-east-1:123456789012:alias/prod';
      const events = keyringDecider.decide(addKey('k1', { keyArn }), keyringDecider.initialState());
      expect(events[0]).toMatchObject({ type: 'KeyAdded', data: { keyArn, resolvedKeyArn: keyArnOf('k1') } });
    });

    it('refuses an alias as the resolved key ARN', () => {
      given([]).when(addKey('k1', { resolvedKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/prod' })).thenRefuses('INVALID_KEY_ARN');
    });

    it('refuses a resolved key ARN from another account or another key', () => {
      given([]).when(addKey('k1', { resolvedKeyArn: 'arn:aws:kms:us-east-1:999999999999:key/k1-0000' })).thenRefuses('INVALID_KEY_ARN');
      given([]).when(addKey('k1', { resolvedKeyArn: keyArnOf('other') })).thenRefuses('INVALID_KEY_ARN');
    });
  });

  it('refuses a key id already used and the reserved platform id', () => {
    given(firstKeyDone()).when(addKey('k1', { name: 'other' })).thenRefuses('KEY_EXISTS');
    given([]).when(addKey('platform')).thenRefuses('VALIDATION_FAILED');
  });

  it('refuses a first key whose run id was already used', () => {
    const history = [...firstKeyDone(), allKeysDisabled(['k1']), defaultChanged('k1', 'platform'), started('re-all', ['k1'], 'platform', 'all-keys-disabled'), completed('re-all')];
    given(history).when(addKey('k2', { reencryptionId: 're-k1' })).thenRefuses('VALIDATION_FAILED', { field: 'reencryptionId' });
  });

  it('refuses a command for another organisation', () => {
    const command = addKey('k2');
    given(firstKeyDone())
      .when({ ...command, data: { ...command.data, orgId: `${ORG}-other` } })
      .thenRefuses('VALIDATION_FAILED', { field: 'orgId' });
  });
});

describe('standInKeyArn (AddKey before KMS has resolved the key)', () => {
  const role = 'arn:aws:iam::111122223333:role/cmk';
  const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  it('keeps a key ARN and stands in a key ARN of the same home for an alias, which the decider accepts', () => {
    expect(standInKeyArn(role, key)).toBe(key);
    const alias = 'arn:aws:kms:eu-west-1:111122223333:alias/payments';
    const standIn = standInKeyArn(role, alias);
    expect(standIn).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\//);
    const [added] = keyringDecider.decide(addKey('k1', { roleArn: role, keyArn: alias, resolvedKeyArn: standIn }), keyringDecider.initialState());
    expect(added).toMatchObject({ type: 'KeyAdded', data: { keyArn: alias, resolvedKeyArn: standIn } });
  });

  it('refuses a malformed role ARN before a malformed key ARN', () => {
    expect(() => standInKeyArn('not-a-role', 'not-a-key')).toThrow(expect.objectContaining({ code: 'INVALID_ROLE_ARN' }));
    expect(() => standInKeyArn(role, 'arn:aws:kms:eu-west-1:111122223333:alias/aws/s3')).toThrow(expect.objectContaining({ code: 'INVALID_KEY_ARN' }));
  });
});
