import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '@cmk/domain';

/** Response shapes of the webhook routes, for the OpenAPI document. */

export class WebhookDto {
  @ApiProperty({ example: 'wh-5f0c1a2b3c4d5e6f7a8b9c0d' })
  id!: string;

  @ApiProperty({ example: 'https://hooks.example.com/cmk' })
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events!: string[];

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class CreatedWebhookDto {
  @ApiProperty({ type: WebhookDto })
  webhook!: WebhookDto;

  @ApiProperty({ example: 'whsec_…', description: 'The signing secret, shown this once' })
  secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  webhooks!: WebhookDto[];
}

export class DeliveryDto {
  @ApiProperty()
  id!: string;

  @ApiProperty()
  webhookId!: string;

  @ApiProperty({ description: 'The event id (the body `id`; receivers de-duplicate by it)' })
  eventId!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  eventType!: string;

  @ApiProperty({ enum: ['pending', 'retrying', 'delivered', 'failed', 'cancelled'] })
  status!: string;

  @ApiProperty({ minimum: 0 })
  attempts!: number;

  @ApiProperty({ type: Number, nullable: true })
  lastStatusCode!: number | null;

  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class DeliveryListDto {
  @ApiProperty({ type: [DeliveryDto] })
  deliveries!: DeliveryDto[];
}
