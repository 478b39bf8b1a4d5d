import { Body, Controller, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { OperatorGuard } from '../auth/guards';
import { Ctx, type CommandContext } from '../http/command-context';
import { ChangeEditionCommand, IssueTokenCommand, RegisterOrganizationCommand, RevokeTokenCommand } from './commands';
import { ChangeEditionDto, CreateOrgDto, IssueTokenDto } from './dto';

/** Operator routes (bearer `CMK_OPERATOR_TOKEN`): organisations and their access tokens. */
@Controller('api/admin/orgs')
@UseGuards(OperatorGuard)
export class AdminController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  create(@Body() body: CreateOrgDto, @Ctx() ctx: CommandContext) {
    return this.commands.execute(new RegisterOrganizationCommand(body.login, body.name ?? body.login, body.edition, ctx));
  }

  @Post(':org/edition')
  changeEdition(@Param('org') org: string, @Body() body: ChangeEditionDto, @Ctx() ctx: CommandContext) {
    return this.commands.execute(new ChangeEditionCommand(org, body.edition, ctx));
  }

  @Post(':org/tokens')
  issueToken(@Param('org') org: string, @Body() body: IssueTokenDto, @Ctx() ctx: CommandContext) {
    return this.commands.execute(new IssueTokenCommand(org, body.user, body.role, ctx));
  }

  @Post(':org/tokens/:tokenId/revoke')
  revokeToken(@Param('org') org: string, @Param('tokenId') tokenId: string, @Ctx() ctx: CommandContext) {
    return this.commands.execute(new RevokeTokenCommand(org, tokenId, ctx));
  }
}
