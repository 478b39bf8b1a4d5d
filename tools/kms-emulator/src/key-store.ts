import { createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { KmsError } from './errors';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export const KEY_STATES: readonly KeyState[] = ['Enabled', 'Disabled', 'PendingDeletion'];

export interface EmulatedKey {
  readonly id: string;
  readonly arn: string;
  readonly description: string;
  readonly createdAt: number;
  state: KeyState;
  deletionDate: number | undefined;
  /** Created once per key so the hot path never re-imports raw bytes. */
  readonly material: KeyObject;
}

export interface CreatedKey {
  readonly keyId: string;
  readonly keyArn: string;
  readonly aliasArn?: string;
}

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

/** In-memory keys and aliases of one account and region; resolves every KeyId form KMS accepts. */
export class KeyStore {
  private readonly keys = new Map<string, EmulatedKey>();
  private readonly aliases = new Map<string, string>();
  private readonly arnPrefix: string;

  constructor(
    readonly accountId: string,
    readonly region: string,
    readonly now: () => number,
  ) {
    this.arnPrefix = `arn:aws:kms:${region}:${accountId}:`;
  }

  create(input: { description?: string; alias?: string } = {}): CreatedKey {
    if (input.alias !== undefined) this.assertAliasFree(input.alias);
    const id = randomUUID();
    const key: EmulatedKey = {
      id,
      arn: `${this.arnPrefix}key/${id}`,
      description: input.description ?? '',
      createdAt: this.now(),
      state: 'Enabled',
      deletionDate: undefined,
      material: createSecretKey(randomBytes(32)),
    };
    this.keys.set(id, key);
    if (input.alias === undefined) return { keyId: id, keyArn: key.arn };
    this.aliases.set(input.alias, id);
    return { keyId: id, keyArn: key.arn, aliasArn: this.aliasArn(input.alias) };
  }

  createAlias(aliasName: string, targetKeyRef: string): void {
    this.assertAliasFree(aliasName);
    if (targetKeyRef.startsWith('alias/') || targetKeyRef.includes(':alias/')) {
      throw new KmsError('ValidationException', 'TargetKeyId must be a key id or key ARN, not an alias.');
    }
    this.aliases.set(aliasName, this.resolve(targetKeyRef).id);
  }

  aliasArn(aliasName: string): string {
    return `${this.arnPrefix}${aliasName}`;
  }

  byId(id: string): EmulatedKey | undefined {
    return this.keys.get(id);
  }

  /** Resolves a key id, key ARN, alias name or alias ARN, or throws NotFoundException. */
  resolve(keyRef: string): EmulatedKey {
    const key = this.tryResolve(keyRef);
    if (key) return key;
    throw new KmsError('NotFoundException', this.notFoundMessage(keyRef));
  }

  tryResolve(keyRef: string): EmulatedKey | undefined {
    let local = keyRef;
    if (keyRef.startsWith('arn:')) {
      if (!keyRef.startsWith(this.arnPrefix)) return undefined;
      local = keyRef.slice(this.arnPrefix.length);
      if (local.startsWith('key/')) return this.keys.get(local.slice(4));
    }
    if (local.startsWith('alias/')) {
      const id = this.aliases.get(local);
      return id === undefined ? undefined : this.keys.get(id);
    }
    return keyRef.startsWith('arn:') ? undefined : this.keys.get(local);
  }

  setState(keyRef: string, state: KeyState, deletionDate?: number): EmulatedKey {
    const key = this.resolve(keyRef);
    key.state = state;
    key.deletionDate = state === 'PendingDeletion' ? (deletionDate ?? this.now() + 30 * 86_400_000) : undefined;
    return key;
  }

  private assertAliasFree(aliasName: string): void {
    if (!ALIAS_NAME.test(aliasName) || aliasName.startsWith('alias/aws/')) {
      throw new KmsError('InvalidAliasNameException', `Alias name ${aliasName} is invalid: it must start with "alias/" and not "alias/aws/".`);
    }
    if (this.aliases.has(aliasName)) {
      throw new KmsError('AlreadyExistsException', `An alias with the name ${this.aliasArn(aliasName)} already exists`);
    }
  }

  private notFoundMessage(keyRef: string): string {
    if (keyRef.startsWith('alias/')) return `Alias ${this.aliasArn(keyRef)} is not found.`;
    if (keyRef.includes(':alias/')) return `Alias ${keyRef} is not found.`;
    if (keyRef.startsWith('arn:')) return `Key '${keyRef}' does not exist`;
    return /^[0-9a-f-]{36}$/.test(keyRef) ? `Key '${this.arnPrefix}key/${keyRef}' does not exist` : `Invalid keyId '${keyRef}'`;
  }
}
