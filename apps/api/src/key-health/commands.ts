import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Redis } from 'ioredis';
import { ApplicationError } from '@cmk/application';
import { DomainError, type HealthRecord } from '@cmk/domain';
import { healthKeys, KEY_HEALTH_ERROR_CODES, KeyHealthChecker } from '@cmk/key-health';
import { ReadModelQueries } from '@cmk/read-models';
import type { CommandContext } from '../http/command-context';
import { REDIS } from '../tokens';

/** Each check costs the customer an STS and two KMS calls: at most one per key this often. */
export const CHECK_COOLDOWN_MS = 5_000;

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
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async execute({ orgId, keyId, ctx }: CheckKeyHealthCommand): Promise<HealthRecord> {
    const key = (await this.queries.getKeyList(orgId)).keys.find((k) => k.id === keyId);
    if (!key) throw new DomainError('KEY_NOT_FOUND', `Key ${keyId} not found`, { keyId });
    if (key.state === 'disabled') throw new DomainError('KEY_NOT_ACTIVE', `Key ${keyId} is disabled and no longer checked`, { keyId, state: key.state });
    const free = await this.redis.set(healthKeys.checkCooldown(orgId, keyId), '1', 'PX', CHECK_COOLDOWN_MS, 'NX');
    if (free === null) {
      throw new ApplicationError('KEY_CHECK_TOO_SOON', KEY_HEALTH_ERROR_CODES.KEY_CHECK_TOO_SOON, `Key ${keyId} was checked less than ${CHECK_COOLDOWN_MS / 1000} s ago; try again shortly`, {
        keyId,
        retryAfterSeconds: CHECK_COOLDOWN_MS / 1000,
      });
    }
    const { actor, tokenId, requestId, correlationId } = ctx.metadata;
    return this.checker.check({ orgId, keyId, roleArn: key.awsKms.roleArn, resolvedKeyArn: key.resolvedKeyArn }, { actor, tokenId, requestId, correlationId });
  }
}
