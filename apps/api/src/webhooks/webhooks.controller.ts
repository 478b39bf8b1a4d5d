import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApplicationError } from '@cmk/application';
import { WebhooksService } from '@cmk/webhooks';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { Ctx, type CommandContext } from '../http/command-context';
import { CreateWebhookCommand, DeleteWebhookCommand } from './commands';
import { CreateWebhookDto } from './dto';

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ApplicationError('VALIDATION_FAILED', 400, 'limit must be an integer from 1 to 100', { fields: { limit: ['must be an integer from 1 to 100'] } });
  }
  return limit;
}

/** Per-org webhooks for key health changes and re-encryption outcomes: admins only. */
@Controller('api/orgs/:org/webhooks')
@UseGuards(OrgAccessGuard)
@Roles('admin')
export class WebhooksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly webhooks: WebhooksService,
  ) {}

  /** 201 with the signing secret, shown this once. */
  @Post()
  async create(@Param('org') org: string, @Body() body: CreateWebhookDto, @Ctx() ctx: CommandContext) {
    const { webhook, secret } = await this.commands.execute(new CreateWebhookCommand(org, body, ctx));
    return { webhook, secret };
  }

  @Get()
  async list(@Param('org') org: string) {
    return { webhooks: await this.webhooks.list(org) };
  }

  @Delete(':webhookId')
  @HttpCode(204)
  async remove(@Param('org') org: string, @Param('webhookId') webhookId: string, @Ctx() ctx: CommandContext) {
    await this.commands.execute(new DeleteWebhookCommand(org, webhookId, ctx));
  }

  /** Newest first: `?limit=1-100` (default 50). */
  @Get(':webhookId/deliveries')
  async deliveries(@Param('org') org: string, @Param('webhookId') webhookId: string, @Query('limit') limit?: string) {
    return { deliveries: await this.webhooks.deliveries(org, webhookId, limitOf(limit)) };
  }
}
