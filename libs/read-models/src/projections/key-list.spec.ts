import { keyAdded, keyring, keyringEvents } from '@cmk/read-models/testing';
import { evolveKeyList, initialKeyListDoc, type KeyListDoc } from './key-list';

const ORG = 'org-keylist';
const given = (...events: ReturnType<typeof keyringEvents>): KeyListDoc => events.reduce(evolveKeyList, initialKeyListDoc(ORG));
const key = (doc: KeyListDoc, id: string) => doc.keys.find((k) => k.id === id);

const started = (id: string, from: string[], to: string, at = '2026-01-01T00:00:00.000Z') =>
  keyring(ORG, 'ReencryptionStarted', { reencryptionId: id, from, to, reason: 'key-disabled' }, at);
const completed = (id: string) => keyring(ORG, 'ReencryptionCompleted', { reencryptionId: id, rewrapped: 3, failed: 0 }, '2026-01-01T00:05:00.000Z');

describe('key list projection', () => {
  it('starts with no keys and the platform key as default', () => {
    expect(initialKeyListDoc(ORG)).toEqual({ orgId: ORG, keys: [], defaultKeyId: 'platform', reencryption: null });
  });

  it('shows an added key as active, with its ARNs and the time it was added', () => {
    const doc = given(...keyringEvents(keyAdded(ORG, 'k1', '2026-02-03T04:05:06.000Z')));
    expect(doc.keys).toEqual([
      {
        id: 'k1',
        name: 'key k1',
        type: 'aws_kms',
        awsKms: { roleArn: 'arn:aws:iam::111122223333:role/k1', keyArn: 'arn:aws:kms:eu-west-1:111122223333:alias/k1' },
        resolvedKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k1',
        isDefault: false,
        state: 'active',
        canSetDefault: true,
        canDisable: true,
        addedAt: '2026-02-03T04:05:06.000Z',
      },
    ]);
  });

  it('the first key becomes default; while its run is running nothing can be set default or disabled', () => {
    const doc = given(
      ...keyringEvents(
        keyAdded(ORG, 'k1'),
        keyring(ORG, 'DefaultChanged', { from: 'platform', to: 'k1' }),
        started('r1', ['platform'], 'k1'),
        keyAdded(ORG, 'k2'),
      ),
    );
    expect(doc.defaultKeyId).toBe('k1');
    expect(key(doc, 'k1')).toMatchObject({ isDefault: true, canSetDefault: false, canDisable: false });
    // k2 is neither source nor target of the run, so it may become default, but not be disabled.
    expect(key(doc, 'k2')).toMatchObject({ isDefault: false, canSetDefault: true, canDisable: false });
    expect(doc.reencryption).toMatchObject({ id: 'r1', state: 'running' });
  });

  it('a disabled key is disabling until its run completes, then disabled', () => {
    const base = keyringEvents(keyAdded(ORG, 'k1'), keyAdded(ORG, 'k2'), keyring(ORG, 'KeyDisabled', { keyId: 'k1', reencryptTo: 'k2' }), started('r1', ['k1'], 'k2'));
    const during = given(...base);
    expect(key(during, 'k1')).toMatchObject({ state: 'disabling', canSetDefault: false, canDisable: false });
    expect(key(during, 'k2')).toMatchObject({ state: 'active', canSetDefault: false, canDisable: false });
    const after = given(...base, ...keyringEvents(completed('r1')));
    expect(key(after, 'k1')).toMatchObject({ state: 'disabled', canSetDefault: false, canDisable: false });
    expect(key(after, 'k2')).toMatchObject({ state: 'active', canSetDefault: true, canDisable: true });
    expect(after.reencryption).toMatchObject({ id: 'r1', state: 'completed' });
  });

  it('a failed run leaves its source keys disabling, and no other key can be disabled until it is retried', () => {
    const doc = given(
      ...keyringEvents(
        keyAdded(ORG, 'k1'),
        keyAdded(ORG, 'k2'),
        keyring(ORG, 'KeyDisabled', { keyId: 'k1', reencryptTo: 'k2' }),
        started('r1', ['k1'], 'k2'),
        keyring(ORG, 'ReencryptionFailed', { reencryptionId: 'r1', reason: 'access denied', rewrapped: 1, failed: 2, failuresByCode: { KMS_ACCESS_DENIED: 2 } }),
      ),
    );
    expect(key(doc, 'k1')?.state).toBe('disabling');
    // The domain refuses another disable with REENCRYPTION_RETRY_PENDING; the flag agrees.
    expect(key(doc, 'k2')).toMatchObject({ state: 'active', canSetDefault: true, canDisable: false });
    expect(doc.reencryption).toMatchObject({ state: 'failed', failureReason: 'access denied' });
    const retried = keyringEvents(started('r2', ['k1'], 'k2'), completed('r2')).reduce(evolveKeyList, doc);
    expect(key(retried, 'k1')?.state).toBe('disabled');
    expect(key(retried, 'k2')).toMatchObject({ state: 'active', canSetDefault: true, canDisable: true });
  });

  it('disable all moves every key to disabling and reverts the default to platform', () => {
    const base = keyringEvents(
      keyAdded(ORG, 'k1'),
      keyAdded(ORG, 'k2'),
      keyring(ORG, 'DefaultChanged', { from: 'platform', to: 'k1' }),
      keyring(ORG, 'AllKeysDisabled', { keyIds: ['k1', 'k2'] }),
      keyring(ORG, 'DefaultChanged', { from: 'k1', to: 'platform' }),
      started('r2', ['k1', 'k2'], 'platform'),
    );
    const doc = given(...base, ...keyringEvents(completed('r2')));
    expect(doc.defaultKeyId).toBe('platform');
    expect(doc.keys.map((k) => [k.id, k.state, k.isDefault])).toEqual([
      ['k1', 'disabled', false],
      ['k2', 'disabled', false],
    ]);
  });

  it('a completion of another run changes nothing', () => {
    const before = given(...keyringEvents(keyAdded(ORG, 'k1'), keyring(ORG, 'KeyDisabled', { keyId: 'k1', reencryptTo: 'platform' }), started('r1', ['k1'], 'platform')));
    const [other] = keyringEvents(completed('r-other'));
    expect(evolveKeyList(before, other)).toBe(before);
  });

  it('feeding every event twice gives the same document as feeding it once', () => {
    const events = keyringEvents(
      keyAdded(ORG, 'k1'),
      keyring(ORG, 'DefaultChanged', { from: 'platform', to: 'k1' }),
      started('r1', ['platform'], 'k1'),
      keyring(ORG, 'ReencryptionProgressed', { reencryptionId: 'r1', done: 1, failed: 0, total: 3 }, '2026-01-01T00:00:10.000Z'),
      completed('r1'),
      keyAdded(ORG, 'k2'),
      keyring(ORG, 'KeyDisabled', { keyId: 'k2', reencryptTo: 'k1' }),
      started('r2', ['k2'], 'k1'),
      completed('r2'),
    );
    const once = given(...events);
    const twice = given(...events.flatMap((e) => [e, e]));
    expect(twice).toEqual(once);
    for (const event of events) {
      const after = given(...events.slice(0, events.indexOf(event) + 1));
      expect(evolveKeyList(after, event)).toEqual(after);
    }
  });
});
