import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  DomainError,
  keyringCodec,
  keyringDecider,
  keyringStream,
  standInKeyArn,
  type KeyringCommand,
  type KeyringEvent,
  type KeyringState,
  type ReencryptionStarted,
} from '@cmk/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@cmk/eventstore';
import {
  eventsOfIdempotencyKey,
  handleCommand,
  KEY_VERIFIER,
  readState,
  requestFingerprint,
  type CommandOptions,
  type CommandResult,
  type KeyVerifier,
} from '@cmk/application';
import type { ProjectionRunner } from '@cmk/read-models';
import type { ApiConfig } from '../config';
import { API_CONFIG, PROJECTIONS } from '../tokens';
import type { CommandContext } from '../http/command-context';
import { OrgDirectory } from '../auth/org-directory';
import type { AddKeyDto } from './dto';

/**
 * Runs key-ring commands through the one command path and then waits (bounded by
 * `CMK_READ_WAIT_MS`) until the projections include them, so a query right after a command
 * sees its effect.
 */
@Injectable()
export class KeyringService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTIONS) private readonly projections: ProjectionRunner,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async execute(orgId: string, command: KeyringCommand, options: CommandOptions = {}): Promise<CommandResult<KeyringState, KeyringEvent>> {
    const result = await handleCommand(this.store, keyringStream(orgId), keyringDecider, keyringCodec, command, options);
    if (result.position) await this.projections.waitForPosition(result.position, this.config.readWaitMs);
    return result;
  }

  /**
   * Decides `command` on the current state without appending, so a request the rules refuse
   * fails before any slow external check. `replay` is true when the idempotency key was already
   * used (the real execution returns the first result, or refuses a reused key). Pass `recorded`
   * on to `execute` so it does not read the stream again (a stale read only costs a retry).
   */
  async precheck(orgId: string, command: KeyringCommand, idempotencyKey?: string): Promise<{ replay: boolean; recorded: readonly RecordedEvent[] }> {
    const { state, recorded } = await readState(this.store, keyringStream(orgId), keyringDecider, keyringCodec);
    if (idempotencyKey !== undefined && eventsOfIdempotencyKey(recorded, idempotencyKey).length > 0) return { replay: true, recorded };
    keyringDecider.decide(command, state);
    return { replay: false, recorded };
  }
}

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
