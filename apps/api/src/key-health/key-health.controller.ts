import { Controller, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { API_CONFIG, type ApiConfig } from '../config';
import { Ctx, type CommandContext } from '../http/command-context';
import { CheckKeyHealthCommand } from './commands';
import { presentHealth } from './health-view';

/** `POST …/customer-managed-keys/:keyId/check`: probe a key now (admins). */
@Controller('api/orgs/:org/customer-managed-keys')
@UseGuards(OrgAccessGuard)
@Roles('admin')
export class KeyHealthController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post(':keyId/check')
  @HttpCode(200)
  async check(@Param('org') org: string, @Param('keyId') keyId: string, @Ctx() ctx: CommandContext) {
    const record = await this.commands.execute(new CheckKeyHealthCommand(org, keyId, ctx));
    return { keyId, health: presentHealth(record, this.config.keyHealth.confirmations), latencyMs: record.latencyMs };
  }
}
