import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { OperatorGuard } from '../auth/guards';
import { Ctx, type CommandContext } from '../http/command-context';
import { ChangeEditionCommand, IssueTokenCommand, RegisterOrganizationCommand, RevokeTokenCommand } from './commands';
import { ChangeEditionDto, CreateOrgDto, IssueTokenDto } from './dto';
import { IssuedTokenDto, OrgEditionDto, RevokedTokenDto } from './responses';
import { ApiErrors, BODY_ERRORS, COMMAND_ERRORS } from '../openapi/error-responses';

/** Operator routes (bearer `CMK_OPERATOR_TOKEN`): organisations and their access tokens. */
@ApiTags('operator')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', COMMAND_ERRORS)
@Controller('api/admin/orgs')
@UseGuards(OperatorGuard)
export class AdminController {
  constructor(private readonly commands: CommandBus) {}

  @ApiOperation({ summary: 'Register an organisation' })
  @ApiCreatedResponse({ type: OrgEditionDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors(BODY_ERRORS, 'ORG_EXISTS')
  @Post()
  create(@Body() body: CreateOrgDto, @Ctx() ctx: CommandContext) {
    return this.commands.execute(new RegisterOrganizationCommand(body.login, body.name ?? body.login, body.edition, ctx));
  }

  @ApiOperation({ summary: 'Change the edition' })
  @ApiCreatedResponse({ type: OrgEditionDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors(BODY_ERRORS, 'ORG_NOT_FOUND')
  @Post(':org/edition')
  changeEdition(@Param('org') org: string, @Body() body: ChangeEditionDto, @Ctx() ctx: CommandContext) {
    return this.commands.execute(new ChangeEditionCommand(org, body.edition, ctx));
  }

  @ApiOperation({ summary: 'Issue an access token', description: 'Shown once, stored hashed.' })
  @ApiCreatedResponse({ type: IssuedTokenDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors(BODY_ERRORS, 'ORG_NOT_FOUND', 'TOKEN_EXISTS', 'TOKEN_ALREADY_ISSUED')
  @Post(':org/tokens')
  issueToken(@Param('org') org: string, @Body() body: IssueTokenDto, @Ctx() ctx: CommandContext) {
    return this.commands.execute(new IssueTokenCommand(org, body.user, body.role, ctx));
  }

  @ApiOperation({ summary: 'Revoke an access token', description: 'Effective within a second on every replica.' })
  @ApiCreatedResponse({ type: RevokedTokenDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors('ORG_NOT_FOUND', 'TOKEN_NOT_FOUND', 'TOKEN_REVOKED')
  @Post(':org/tokens/:tokenId/revoke')
  revokeToken(@Param('org') org: string, @Param('tokenId') tokenId: string, @Ctx() ctx: CommandContext) {
    return this.commands.execute(new RevokeTokenCommand(org, tokenId, ctx));
  }
}
