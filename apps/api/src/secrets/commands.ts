import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SecretsService } from '@cmk/secrets';
import type { CommandContext } from '../http/command-context';

export class EncryptSecretsCommand extends Command<string[]> {
  constructor(readonly orgId: string, readonly scope: string, readonly values: readonly string[], readonly ctx: CommandContext) {
    super();
  }
}

/**
 * The request's metadata goes on the `DataKeyIssued` event when this is the scope's first use;
 * it is read only then (an encrypt under a cached key builds none).
 */
@CommandHandler(EncryptSecretsCommand)
export class EncryptSecretsHandler implements ICommandHandler<EncryptSecretsCommand> {
  constructor(private readonly secrets: SecretsService) {}

  execute({ orgId, scope, values, ctx }: EncryptSecretsCommand): Promise<string[]> {
    return this.secrets.encrypt(orgId, scope, values, () => ctx.metadata);
  }
}

export class DecryptSecretsCommand extends Command<string[]> {
  constructor(readonly orgId: string, readonly ciphertexts: readonly string[]) {
    super();
  }
}

@CommandHandler(DecryptSecretsCommand)
export class DecryptSecretsHandler implements ICommandHandler<DecryptSecretsCommand> {
  constructor(private readonly secrets: SecretsService) {}

  execute({ orgId, ciphertexts }: DecryptSecretsCommand): Promise<string[]> {
    return this.secrets.decrypt(orgId, ciphertexts);
  }
}

export const SECRETS_COMMAND_HANDLERS = [EncryptSecretsHandler, DecryptSecretsHandler];
