import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WebhooksService, type WebhookView } from '@cmk/webhooks';
import type { CommandContext } from '../http/command-context';
import type { CreateWebhookDto } from './dto';

export class CreateWebhookCommand extends Command<{ webhook: WebhookView; secret: string }> {
  constructor(readonly orgId: string, readonly body: CreateWebhookDto, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(CreateWebhookCommand)
export class CreateWebhookHandler implements ICommandHandler<CreateWebhookCommand> {
  constructor(private readonly webhooks: WebhooksService) {}

  execute({ orgId, body, ctx }: CreateWebhookCommand) {
    return this.webhooks.create(orgId, { url: body.url, events: body.events, description: body.description }, ctx.metadata, ctx.idempotencyKey);
  }
}

export class DeleteWebhookCommand extends Command<void> {
  constructor(readonly orgId: string, readonly webhookId: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(DeleteWebhookCommand)
export class DeleteWebhookHandler implements ICommandHandler<DeleteWebhookCommand> {
  constructor(private readonly webhooks: WebhooksService) {}

  execute({ orgId, webhookId, ctx }: DeleteWebhookCommand) {
    return this.webhooks.delete(orgId, webhookId, ctx.metadata, ctx.idempotencyKey);
  }
}

export const WEBHOOK_COMMAND_HANDLERS = [CreateWebhookHandler, DeleteWebhookHandler];
