import { randomBytes } from 'node:crypto';
import { embeddedKeyId, open, seal } from './ciphertext';
import type { Principal } from './credentials';
import { KmsError } from './errors';
import type { EmulatedKey, KeyStore } from './key-store';
import { encryptionContext, optionalInteger, optionalString, requiredBlob, requiredString, type KmsInput } from './kms-input';
import { isAllowed, type RoleRegistry } from './roles';

export interface KmsCallContext {
  readonly store: KeyStore;
  readonly roles: RoleRegistry;
  readonly principal: Principal;
}

type Operation = (input: KmsInput, ctx: KmsCallContext) => object;

const ALGORITHM = 'SYMMETRIC_DEFAULT';
const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;

/** The emulated TrentService operations, by the name after `TrentService.` in X-Amz-Target. */
export const KMS_OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateKey(input, ctx) {
    authorize(ctx, 'kms:CreateKey', '*');
    const spec = optionalString(input, 'KeySpec') ?? optionalString(input, 'CustomerMasterKeySpec') ?? ALGORITHM;
    if (spec !== ALGORITHM) throw new KmsError('ValidationException', `KeySpec ${spec} is not supported by the emulator (only ${ALGORITHM}).`);
    const created = ctx.store.create({ description: optionalString(input, 'Description') });
    return { KeyMetadata: metadata(ctx.store.resolve(created.keyId), ctx.store.accountId) };
  },
  CreateAlias(input, ctx) {
    const aliasName = requiredString(input, 'AliasName');
    const target = ctx.store.resolve(requiredString(input, 'TargetKeyId'));
    authorize(ctx, 'kms:CreateAlias', target.arn);
    ctx.store.createAlias(aliasName, target.id);
    return {};
  },
  DescribeKey(input, ctx) {
    const key = usableFor(ctx, 'kms:DescribeKey', requiredString(input, 'KeyId'), false);
    return { KeyMetadata: metadata(key, ctx.store.accountId) };
  },
  Encrypt(input, ctx) {
    const key = usableFor(ctx, 'kms:Encrypt', requiredString(input, 'KeyId'), true);
    const plaintext = requiredBlob(input, 'Plaintext', MAX_PLAINTEXT);
    const blob = seal(key.id, key.material, plaintext, encryptionContext(input, 'EncryptionContext'));
    return { CiphertextBlob: blob.toString('base64'), KeyId: key.arn, EncryptionAlgorithm: ALGORITHM };
  },
  Decrypt(input, ctx) {
    const blob = requiredBlob(input, 'CiphertextBlob', MAX_CIPHERTEXT);
    const key = keyOfBlob(ctx, blob, optionalString(input, 'KeyId'), 'kms:Decrypt');
    const plaintext = open(key.material, blob, encryptionContext(input, 'EncryptionContext'));
    return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: ALGORITHM };
  },
  ReEncrypt(input, ctx) {
    const blob = requiredBlob(input, 'CiphertextBlob', MAX_CIPHERTEXT);
    const source = keyOfBlob(ctx, blob, optionalString(input, 'SourceKeyId'), 'kms:ReEncryptFrom');
    const destination = usableFor(ctx, 'kms:ReEncryptTo', requiredString(input, 'DestinationKeyId'), true);
    const plaintext = open(source.material, blob, encryptionContext(input, 'SourceEncryptionContext'));
    const sealed = seal(destination.id, destination.material, plaintext, encryptionContext(input, 'DestinationEncryptionContext'));
    return {
      CiphertextBlob: sealed.toString('base64'),
      SourceKeyId: source.arn,
      KeyId: destination.arn,
      SourceEncryptionAlgorithm: ALGORITHM,
      DestinationEncryptionAlgorithm: ALGORITHM,
    };
  },
  GenerateDataKey(input, ctx) {
    const key = usableFor(ctx, 'kms:GenerateDataKey', requiredString(input, 'KeyId'), true);
    const plaintext = randomBytes(dataKeyLength(input));
    const blob = seal(key.id, key.material, plaintext, encryptionContext(input, 'EncryptionContext'));
    return { CiphertextBlob: blob.toString('base64'), Plaintext: plaintext.toString('base64'), KeyId: key.arn };
  },
  GenerateDataKeyWithoutPlaintext(input, ctx) {
    const key = usableFor(ctx, 'kms:GenerateDataKeyWithoutPlaintext', requiredString(input, 'KeyId'), true);
    const blob = seal(key.id, key.material, randomBytes(dataKeyLength(input)), encryptionContext(input, 'EncryptionContext'));
    return { CiphertextBlob: blob.toString('base64'), KeyId: key.arn };
  },
  EnableKey(input, ctx) {
    const key = ctx.store.resolve(requiredString(input, 'KeyId'));
    authorize(ctx, 'kms:EnableKey', key.arn);
    if (key.state === 'PendingDeletion') throw invalidState(key);
    ctx.store.setState(key.id, 'Enabled');
    return {};
  },
  DisableKey(input, ctx) {
    const key = ctx.store.resolve(requiredString(input, 'KeyId'));
    authorize(ctx, 'kms:DisableKey', key.arn);
    if (key.state === 'PendingDeletion') throw invalidState(key);
    ctx.store.setState(key.id, 'Disabled');
    return {};
  },
  ScheduleKeyDeletion(input, ctx) {
    const key = ctx.store.resolve(requiredString(input, 'KeyId'));
    authorize(ctx, 'kms:ScheduleKeyDeletion', key.arn);
    if (key.state === 'PendingDeletion') throw invalidState(key);
    const days = optionalInteger(input, 'PendingWindowInDays', 7, 30) ?? 30;
    ctx.store.setState(key.id, 'PendingDeletion', ctx.store.now() + days * 86_400_000);
    return { KeyId: key.arn, DeletionDate: (key.deletionDate ?? 0) / 1000, KeyState: key.state, PendingWindowInDays: days };
  },
  CancelKeyDeletion(input, ctx) {
    const key = ctx.store.resolve(requiredString(input, 'KeyId'));
    authorize(ctx, 'kms:CancelKeyDeletion', key.arn);
    if (key.state !== 'PendingDeletion') throw invalidState(key);
    ctx.store.setState(key.id, 'Disabled');
    return { KeyId: key.arn };
  },
};

/**
 * The key ARN a request is about, for stats and fault matching, without authorising anything.
 * Alias resolution happens here too, so faults and stats see the key, never the alias.
 */
export function targetKeyArn(input: KmsInput, store: KeyStore): string | undefined {
  const ref = input.KeyId ?? input.DestinationKeyId ?? input.TargetKeyId;
  if (typeof ref === 'string') return store.tryResolve(ref)?.arn;
  if (typeof input.CiphertextBlob !== 'string') return undefined;
  const id = embeddedKeyId(Buffer.from(input.CiphertextBlob, 'base64'));
  return id === undefined ? undefined : store.byId(id)?.arn;
}

function authorize(ctx: KmsCallContext, action: string, resource: string): void {
  if (ctx.principal.kind === 'admin') return;
  const role = ctx.roles.get(ctx.principal.roleArn);
  if (role && isAllowed(role, action, resource)) return;
  throw new KmsError(
    'AccessDeniedException',
    `User: ${ctx.principal.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
  );
}

/** Resolve (aliases first: policies name key ARNs), authorise, then check the key state. */
function usableFor(ctx: KmsCallContext, action: string, keyRef: string, cryptographic: boolean): EmulatedKey {
  const key = ctx.store.resolve(keyRef);
  authorize(ctx, action, key.arn);
  if (!cryptographic) return key;
  if (key.state === 'Disabled') throw new KmsError('DisabledException', `${key.arn} is disabled.`);
  if (key.state === 'PendingDeletion') throw invalidState(key);
  return key;
}

function keyOfBlob(ctx: KmsCallContext, blob: Buffer, keyRef: string | undefined, action: string): EmulatedKey {
  const id = embeddedKeyId(blob);
  const owner = id === undefined ? undefined : ctx.store.byId(id);
  if (keyRef !== undefined) {
    const named = ctx.store.resolve(keyRef);
    if (owner && owner.id !== named.id) {
      throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
    }
  }
  if (!owner) throw new KmsError('InvalidCiphertextException', 'The ciphertext is invalid or was not produced by this KMS.');
  return usableFor(ctx, action, owner.id, true);
}

function dataKeyLength(input: KmsInput): number {
  const bytes = optionalInteger(input, 'NumberOfBytes', 1, 1024);
  const spec = optionalString(input, 'KeySpec');
  if ((bytes === undefined) === (spec === undefined)) {
    throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec, but not both.');
  }
  if (bytes !== undefined) return bytes;
  if (spec === 'AES_256') return 32;
  if (spec === 'AES_128') return 16;
  throw new KmsError('ValidationException', `1 validation error detected: Value '${spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`);
}

function invalidState(key: EmulatedKey): KmsError {
  return new KmsError('KMSInvalidStateException', `${key.arn} is ${key.state === 'PendingDeletion' ? 'pending deletion' : key.state.toLowerCase()}.`);
}

function metadata(key: EmulatedKey, accountId: string): object {
  return {
    AWSAccountId: accountId,
    KeyId: key.id,
    Arn: key.arn,
    CreationDate: key.createdAt / 1000,
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: key.state,
    ...(key.deletionDate !== undefined ? { DeletionDate: key.deletionDate / 1000 } : {}),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: ALGORITHM,
    KeySpec: ALGORITHM,
    EncryptionAlgorithms: [ALGORITHM],
    MultiRegion: false,
  };
}
