import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError, type HealthRecord } from '@cmk/domain';
import { KeyHealthChecker } from '@cmk/key-health';
import { ReadModelQueries } from '@cmk/read-models';
import type { CommandContext } from '../http/command-context';

export class CheckKeyHealthCommand extends Command<HealthRecord> {
  constructor(readonly orgId: string, readonly keyId: string, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * An admin's "check now": the same probe and confirmations as the scheduled one (it counts as
 * one of the consecutive probes), answered with the resulting record.
 */
@CommandHandler(CheckKeyHealthCommand)
export class CheckKeyHealthHandler implements ICommandHandler<CheckKeyHealthCommand> {
  constructor(
    private readonly checker: KeyHealthChecker,
    private readonly queries: ReadModelQueries,
  ) {}

  async execute({ orgId, keyId, ctx }: CheckKeyHealthCommand): Promise<HealthRecord> {
    const key = (await this.queries.getKeyList(orgId)).keys.find((k) => k.id === keyId);
    if (!key) throw new DomainError('KEY_NOT_FOUND', `Key ${keyId} not found`, { keyId });
    if (key.state === 'disabled') throw new DomainError('KEY_NOT_ACTIVE', `Key ${keyId} is disabled and no longer checked`, { keyId, state: key.state });
    const { actor, tokenId, requestId, correlationId } = ctx.metadata;
    return this.checker.check({ orgId, keyId, roleArn: key.awsKms.roleArn, resolvedKeyArn: key.resolvedKeyArn }, { actor, tokenId, requestId, correlationId });
  }
}
