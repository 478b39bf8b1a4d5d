import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Edition, OrgRole } from '@cmk/domain';
import { ApplicationError, requestFingerprint } from '@cmk/application';
import type { CommandContext } from '../http/command-context';
import { mintAccessToken } from '../auth/access-token';
import { OrgService } from './org.service';

export class RegisterOrganizationCommand extends Command<{ orgId: string; edition: Edition }> {
  constructor(readonly orgId: string, readonly name: string, readonly edition: Edition, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(RegisterOrganizationCommand)
export class RegisterOrganizationHandler implements ICommandHandler<RegisterOrganizationCommand> {
  constructor(private readonly orgs: OrgService) {}

  async execute({ orgId, name, edition, ctx }: RegisterOrganizationCommand) {
    await this.orgs.execute(orgId, { type: 'RegisterOrganization', data: { orgId, name, edition }, metadata: ctx.metadata }, {
      idempotencyKey: ctx.idempotencyKey,
      fingerprint: requestFingerprint('RegisterOrganization', { orgId, name, edition }),
    });
    return { orgId, edition };
  }
}

export class ChangeEditionCommand extends Command<{ orgId: string; edition: Edition }> {
  constructor(readonly orgId: string, readonly edition: Edition, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(ChangeEditionCommand)
export class ChangeEditionHandler implements ICommandHandler<ChangeEditionCommand> {
  constructor(private readonly orgs: OrgService) {}

  async execute({ orgId, edition, ctx }: ChangeEditionCommand) {
    await this.orgs.execute(orgId, { type: 'ChangeEdition', data: { orgId, edition }, metadata: ctx.metadata }, {
      idempotencyKey: ctx.idempotencyKey,
      fingerprint: requestFingerprint('ChangeEdition', { edition }),
    });
    return { orgId, edition };
  }
}

export class IssueTokenCommand extends Command<{ token: string; tokenId: string; user: string; role: OrgRole }> {
  constructor(readonly orgId: string, readonly user: string, readonly role: OrgRole, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * The token is returned once and never stored: only its SHA-256 goes into the event. So a retry
 * with the same Idempotency-Key cannot show the token again; it answers 409 naming the token
 * that request issued (revoke it and issue a new one) instead of minting a second one.
 */
@CommandHandler(IssueTokenCommand)
export class IssueTokenHandler implements ICommandHandler<IssueTokenCommand> {
  constructor(private readonly orgs: OrgService) {}

  async execute({ orgId, user, role, ctx }: IssueTokenCommand) {
    const { token, tokenId, sha256 } = mintAccessToken(orgId);
    const result = await this.orgs.execute(orgId, { type: 'IssueAccessToken', data: { orgId, tokenId, user, role, sha256 }, metadata: ctx.metadata }, {
      idempotencyKey: ctx.idempotencyKey,
      fingerprint: requestFingerprint('IssueAccessToken', { user, role }),
    });
    if (result.replayed) {
      const issued = result.events.find((event) => event.type === 'AccessTokenIssued');
      const issuedId = issued?.type === 'AccessTokenIssued' ? issued.data.tokenId : undefined;
      throw new ApplicationError('TOKEN_ALREADY_ISSUED', 409, 'This request already issued a token, and tokens are shown only once: revoke it and issue a new one', { tokenId: issuedId });
    }
    return { token, tokenId, user, role };
  }
}

export class RevokeTokenCommand extends Command<{ tokenId: string; revoked: true }> {
  constructor(readonly orgId: string, readonly tokenId: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(RevokeTokenCommand)
export class RevokeTokenHandler implements ICommandHandler<RevokeTokenCommand> {
  constructor(private readonly orgs: OrgService) {}

  async execute({ orgId, tokenId, ctx }: RevokeTokenCommand) {
    await this.orgs.execute(orgId, { type: 'RevokeAccessToken', data: { orgId, tokenId }, metadata: ctx.metadata }, {
      idempotencyKey: ctx.idempotencyKey,
      fingerprint: requestFingerprint('RevokeAccessToken', { tokenId }),
    });
    return { tokenId, revoked: true as const };
  }
}

export const ADMIN_COMMAND_HANDLERS = [RegisterOrganizationHandler, ChangeEditionHandler, IssueTokenHandler, RevokeTokenHandler];
