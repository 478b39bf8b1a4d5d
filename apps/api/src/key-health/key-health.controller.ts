import { Controller, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ORG_ROUTE_ERRORS } from '../openapi/error-responses';
import { KeyCheckDto } from './responses';
import { CommandBus } from '@nestjs/cqrs';
import { OrgAccessGuard, Roles } from '../auth/guards';
import type { ApiConfig } from '../config';
import { Ctx, type CommandContext } from '../http/command-context';
import { CheckKeyHealthCommand } from './commands';
import { presentHealth } from './health-view';
import { API_CONFIG } from '../tokens';

/** `POST …/customer-managed-keys/:keyId/check`: probe a key now (admins). */
@ApiTags('customer-managed-keys')
@ApiBearerAuth()
@ApiParam({ name: 'org', description: 'Organisation login', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS)
@Controller('api/orgs/:org/customer-managed-keys')
@UseGuards(OrgAccessGuard)
@Roles('admin')
export class KeyHealthController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @ApiOperation({
    summary: 'Check a key now',
    description: 'Runs the canary (assume the role, GenerateDataKey, Decrypt) and answers with the key health; counts as one of the confirmations a decision state needs.',
  })
  @ApiOkResponse({ type: KeyCheckDto })
  @ApiErrors('KEY_NOT_FOUND', 'KEY_NOT_ACTIVE', 'KEY_CHECK_TOO_SOON')
  @Post(':keyId/check')
  @HttpCode(200)
  async check(@Param('org') org: string, @Param('keyId') keyId: string, @Ctx() ctx: CommandContext) {
    const record = await this.commands.execute(new CheckKeyHealthCommand(org, keyId, ctx));
    return { keyId, health: presentHealth(record, this.config.keyHealth.confirmations), latencyMs: record.latencyMs };
  }
}
