import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisabledException,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
  KMSInternalException,
  KMSInvalidStateException,
  KMSServiceException,
  NotFoundException,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { startKmsEmulator, type KmsEmulator } from './index';

describe('KMS emulator through the real @aws-sdk/client-kms', () => {
  let emulator: KmsEmulator;
  let kms: KMSClient;

  beforeAll(async () => {
    emulator = await startKmsEmulator();
    kms = new KMSClient({ endpoint: emulator.url, region: 'us-east-1', credentials: emulator.adminCredentials, maxAttempts: 1 });
  });
  afterAll(async () => {
    kms.destroy();
    await emulator.close();
  });

  async function newKey(alias?: string): Promise<{ keyArn: string; keyId: string }> {
    const created = await kms.send(new CreateKeyCommand({ Description: 'test key' }));
    const keyArn = created.KeyMetadata?.Arn ?? '';
    if (alias) await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyArn }));
    return { keyArn, keyId: created.KeyMetadata?.KeyId ?? '' };
  }

  it('creates a key and an alias; every KeyId form resolves to the key ARN', async () => {
    const { keyArn, keyId } = await newKey('alias/app-forms');
    expect(keyArn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    for (const ref of [keyId, keyArn, 'alias/app-forms', 'arn:aws:kms:us-east-1:111122223333:alias/app-forms']) {
      const described = await kms.send(new DescribeKeyCommand({ KeyId: ref }));
      expect(described.KeyMetadata).toMatchObject({ Arn: keyArn, KeyState: 'Enabled', Enabled: true, KeySpec: 'SYMMETRIC_DEFAULT' });
      expect(described.KeyMetadata?.CreationDate).toBeInstanceOf(Date);
    }
  });

  it('round-trips GenerateDataKey and Decrypt (no KeyId) under an encryption context', async () => {
    const { keyArn } = await newKey('alias/roundtrip');
    const context = { org: 'acme', dataKey: 'dk-1' };
    const generated = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/roundtrip', KeySpec: 'AES_256', EncryptionContext: context }));
    expect(generated.KeyId).toBe(keyArn);
    expect(generated.Plaintext).toHaveLength(32);
    // Context key order must not matter.
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { dataKey: 'dk-1', org: 'acme' } }));
    expect(decrypted.KeyId).toBe(keyArn);
    expect(Buffer.from(decrypted.Plaintext ?? [])).toEqual(Buffer.from(generated.Plaintext ?? []));
  });

  it('refuses a wrong encryption context with InvalidCiphertextException', async () => {
    const { keyArn } = await newKey();
    const sealed = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('secret'), EncryptionContext: { org: 'acme' } }));
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { org: 'evil' } }))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }))).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  it('answers IncorrectKeyException when Decrypt names another key', async () => {
    const a = await newKey();
    const b = await newKey();
    const sealed = await kms.send(new EncryptCommand({ KeyId: a.keyArn, Plaintext: Buffer.from('x') }));
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, KeyId: b.keyArn }))).rejects.toBeInstanceOf(IncorrectKeyException);
  });

  it('re-encrypts between keys and contexts', async () => {
    const a = await newKey();
    const b = await newKey();
    const data = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: a.keyArn, NumberOfBytes: 16, EncryptionContext: { v: '1' } }));
    const moved = await kms.send(
      new ReEncryptCommand({ CiphertextBlob: data.CiphertextBlob, SourceEncryptionContext: { v: '1' }, DestinationKeyId: b.keyId, DestinationEncryptionContext: { v: '2' } }),
    );
    expect(moved).toMatchObject({ SourceKeyId: a.keyArn, KeyId: b.keyArn });
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { v: '2' } }));
    expect(opened.Plaintext).toHaveLength(16);
  });

  it('follows key state: disabled, re-enabled, pending deletion', async () => {
    const { keyArn } = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: keyArn }));
    const disabled = kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') }));
    await expect(disabled).rejects.toBeInstanceOf(DisabledException);
    await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
    await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') }));
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));
    expect(scheduled).toMatchObject({ KeyId: keyArn, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    await expect(kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') }))).rejects.toBeInstanceOf(KMSInvalidStateException);
  });

  it('maps missing keys, bad input, unknown credentials and internal faults to SDK errors', async () => {
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/nope' }))).rejects.toBeInstanceOf(NotFoundException);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: '5d3a0000-0000-4000-8000-000000000000' }))).rejects.toBeInstanceOf(NotFoundException);

    const { keyArn } = await newKey();
    const invalid = await kms.send(new GenerateDataKeyCommand({ KeyId: keyArn })).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(KMSServiceException);
    expect((invalid as KMSServiceException).name).toBe('ValidationException');

    const stranger = new KMSClient({ endpoint: emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' }, maxAttempts: 1 });
    const unrecognized = await stranger.send(new DescribeKeyCommand({ KeyId: keyArn })).catch((e: unknown) => e);
    stranger.destroy();
    expect((unrecognized as KMSServiceException).name).toBe('UnrecognizedClientException');
    expect((unrecognized as KMSServiceException).$metadata.httpStatusCode).toBe(400);

    emulator.addFault({ operation: 'Encrypt', keyArn, error: 'KMSInternalException', count: 1 });
    const internal = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') })).catch((e: unknown) => e);
    expect(internal).toBeInstanceOf(KMSInternalException);
    expect((internal as KMSInternalException).$metadata.httpStatusCode).toBe(500);
    await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') }));
  });
});
