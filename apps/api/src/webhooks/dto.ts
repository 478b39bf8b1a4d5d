import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@cmk/domain';

export class CreateWebhookDto {
  /** https (http only with `CMK_WEBHOOK_ALLOW_HTTP=true`); the SSRF policy is checked by the service. */
  @IsString()
  @Length(1, 2048)
  url!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `each event must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` })
  events!: WebhookEventType[];

  @IsOptional()
  @IsString()
  @Length(1, 200)
  description?: string;
}
