import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError, standInKeyArn, type ReencryptionStarted } from '@cmk/domain';
import { KEY_VERIFIER, requestFingerprint, type KeyVerifier } from '@cmk/application';
import type { CommandContext } from '../http/command-context';
import { OrgDirectory } from '../auth/org-directory';
import { KeyringService } from './keyring.service';
import type { AddKeyDto } from './dto';

/** What a key-ring command answers: the key it concerns and the run it started, if any. */
export interface KeyCommandResult {
  readonly keyId?: string;
  readonly reencryptionId?: string;
}

const newReencryptionId = () => `re-${randomUUID().replace(/-/g, '')}`;

function startedRun(events: readonly { type: string }[]): string | undefined {
  const started = events.find((e): e is ReencryptionStarted => e.type === 'ReencryptionStarted');
  return started?.data.reencryptionId;
}

export class AddKeyCommand extends Command<KeyCommandResult> {
  constructor(readonly orgId: string, readonly body: AddKeyDto, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * Adds a key: cheap checks first (org, edition, ARN shapes and the key-ring rules, decided on
 * the current state without appending), then the KMS verification round trip, then the real
 * decision on whatever state the stream has by then. A key that fails verification is never added.
 */
@CommandHandler(AddKeyCommand)
export class AddKeyHandler implements ICommandHandler<AddKeyCommand> {
  constructor(
    private readonly keyring: KeyringService,
    private readonly orgs: OrgDirectory,
    @Inject(KEY_VERIFIER) private readonly verifier: KeyVerifier,
  ) {}

  async execute({ orgId, body, ctx }: AddKeyCommand): Promise<KeyCommandResult> {
    const org = await this.orgs.read(orgId);
    if (org.status !== 'registered') throw new DomainError('ORG_NOT_FOUND', `Organization ${orgId} not found`);
    const roleArn = body.awsKms.roleArn.trim();
    const keyArn = body.awsKms.keyArn.trim();
    const standIn = standInKeyArn(roleArn, keyArn);
    const data = { orgId, keyId: randomUUID(), name: body.name, roleArn, keyArn, resolvedKeyArn: standIn, edition: org.edition, reencryptionId: newReencryptionId() };
    const check = await this.keyring.precheck(orgId, { type: 'AddKey', data, metadata: ctx.metadata }, ctx.idempotencyKey);
    const { resolvedKeyArn } = check.replay ? { resolvedKeyArn: standIn } : await this.verifier.verify({ orgId, roleArn, keyArn });
    const result = await this.keyring.execute(orgId, { type: 'AddKey', data: { ...data, resolvedKeyArn }, metadata: ctx.metadata }, {
      recorded: check.recorded,
      idempotencyKey: ctx.idempotencyKey,
      fingerprint: requestFingerprint('AddKey', { name: body.name, roleArn, keyArn }),
    });
    const added = result.events.find((e) => e.type === 'KeyAdded');
    return { keyId: added?.type === 'KeyAdded' ? added.data.keyId : data.keyId, reencryptionId: startedRun(result.events) };
  }
}

export class SetDefaultKeyCommand extends Command<KeyCommandResult> {
  constructor(readonly orgId: string, readonly keyId: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(SetDefaultKeyCommand)
export class SetDefaultKeyHandler implements ICommandHandler<SetDefaultKeyCommand> {
  constructor(private readonly keyring: KeyringService) {}

  async execute({ orgId, keyId, ctx }: SetDefaultKeyCommand): Promise<KeyCommandResult> {
    await this.keyring.execute(orgId, { type: 'SetDefaultKey', data: { orgId, keyId }, metadata: ctx.metadata }, {
      idempotencyKey: ctx.idempotencyKey,
      fingerprint: requestFingerprint('SetDefaultKey', { keyId }),
    });
    return { keyId };
  }
}

export class DisableKeyCommand extends Command<KeyCommandResult> {
  constructor(readonly orgId: string, readonly keyId: string, readonly destinationKeyId: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(DisableKeyCommand)
export class DisableKeyHandler implements ICommandHandler<DisableKeyCommand> {
  constructor(private readonly keyring: KeyringService) {}

  async execute({ orgId, keyId, destinationKeyId, ctx }: DisableKeyCommand): Promise<KeyCommandResult> {
    const data = { orgId, keyId, destinationKeyId, reencryptionId: newReencryptionId() };
    const result = await this.keyring.execute(orgId, { type: 'DisableKey', data, metadata: ctx.metadata }, {
      idempotencyKey: ctx.idempotencyKey,
      fingerprint: requestFingerprint('DisableKey', { keyId, destinationKeyId }),
    });
    return { keyId, reencryptionId: startedRun(result.events) };
  }
}

export class DisableAllKeysCommand extends Command<KeyCommandResult> {
  constructor(readonly orgId: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(DisableAllKeysCommand)
export class DisableAllKeysHandler implements ICommandHandler<DisableAllKeysCommand> {
  constructor(private readonly keyring: KeyringService) {}

  async execute({ orgId, ctx }: DisableAllKeysCommand): Promise<KeyCommandResult> {
    const data = { orgId, reencryptionId: newReencryptionId() };
    const result = await this.keyring.execute(orgId, { type: 'DisableAllKeys', data, metadata: ctx.metadata }, { idempotencyKey: ctx.idempotencyKey });
    return { reencryptionId: startedRun(result.events) };
  }
}

export class RetryReencryptionCommand extends Command<KeyCommandResult> {
  constructor(readonly orgId: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(RetryReencryptionCommand)
export class RetryReencryptionHandler implements ICommandHandler<RetryReencryptionCommand> {
  constructor(private readonly keyring: KeyringService) {}

  async execute({ orgId, ctx }: RetryReencryptionCommand): Promise<KeyCommandResult> {
    const data = { orgId, reencryptionId: newReencryptionId() };
    const result = await this.keyring.execute(orgId, { type: 'RetryReencryption', data, metadata: ctx.metadata }, { idempotencyKey: ctx.idempotencyKey });
    return { reencryptionId: startedRun(result.events) };
  }
}

export const KEY_COMMAND_HANDLERS = [AddKeyHandler, SetDefaultKeyHandler, DisableKeyHandler, DisableAllKeysHandler, RetryReencryptionHandler];
