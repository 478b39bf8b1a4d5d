import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, COMMAND_ERRORS, ORG_ROUTE_ERRORS } from '../openapi/error-responses';
import { CreatedWebhookDto, DeliveryListDto, WebhookListDto } from './responses';
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
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiParam({ name: 'org', description: 'Organisation login', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS)
@Controller('api/orgs/:org/webhooks')
@UseGuards(OrgAccessGuard)
@Roles('admin')
export class WebhooksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly webhooks: WebhooksService,
  ) {}

  /** 201 with the signing secret, shown this once. */
  @ApiOperation({
    summary: 'Create a webhook',
    description: 'https only (unless the deployment allows http); hosts resolving to loopback, link-local, private or reserved addresses are refused unless allow-listed. The signing secret is in this response only.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key answers 409 WEBHOOK_ALREADY_CREATED (the secret is not shown twice)' })
  @ApiErrors(BODY_ERRORS, COMMAND_ERRORS, 'WEBHOOK_URL_INVALID', 'WEBHOOK_URL_FORBIDDEN', 'WEBHOOK_LIMIT_REACHED', 'WEBHOOK_EXISTS', 'WEBHOOK_ALREADY_CREATED')
  @Post()
  async create(@Param('org') org: string, @Body() body: CreateWebhookDto, @Ctx() ctx: CommandContext) {
    const { webhook, secret } = await this.commands.execute(new CreateWebhookCommand(org, body, ctx));
    return { webhook, secret };
  }

  @ApiOperation({ summary: 'List the webhooks', description: 'Never the secrets.' })
  @ApiOkResponse({ type: WebhookListDto })
  @Get()
  async list(@Param('org') org: string) {
    return { webhooks: await this.webhooks.list(org) };
  }

  @ApiOperation({ summary: 'Delete a webhook', description: 'Pending deliveries are cancelled.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(COMMAND_ERRORS, 'WEBHOOK_NOT_FOUND')
  @Delete(':webhookId')
  @HttpCode(204)
  async remove(@Param('org') org: string, @Param('webhookId') webhookId: string, @Ctx() ctx: CommandContext) {
    await this.commands.execute(new DeleteWebhookCommand(org, webhookId, ctx));
  }

  /** Newest first: `?limit=1-100` (default 50). */
  @ApiOperation({ summary: 'The delivery log of a webhook', description: 'Newest first: status, attempts, last HTTP status and last error of each delivery.' })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiOkResponse({ type: DeliveryListDto })
  @ApiErrors('WEBHOOK_NOT_FOUND', 'VALIDATION_FAILED')
  @Get(':webhookId/deliveries')
  async deliveries(@Param('org') org: string, @Param('webhookId') webhookId: string, @Query('limit') limit?: string) {
    return { deliveries: await this.webhooks.deliveries(org, webhookId, limitOf(limit)) };
  }
}
