import { ApiProperty } from '@nestjs/swagger';
import { HEALTH_STATES, UNKNOWN_HEALTH } from '@cmk/domain';

/** Response shapes of key health, for the OpenAPI document (validated against real responses by the contract test). */

export class PendingDecisionDto {
  @ApiProperty({ enum: HEALTH_STATES, description: 'The decision state probes have seen but not yet confirmed' })
  state!: string;

  @ApiProperty({ minimum: 1, description: 'Consecutive probes that saw it so far' })
  confirmations!: number;

  @ApiProperty({ minimum: 1, description: '`CMK_KEY_HEALTH_CONFIRMATIONS`' })
  required!: number;

  @ApiProperty({ format: 'date-time' })
  firstSeen!: string;
}

export class KeyHealthDto {
  @ApiProperty({ enum: [...HEALTH_STATES, UNKNOWN_HEALTH], description: '`unknown` until a state is declared (a new key whose first probe saw an unconfirmed decision)' })
  state!: string;

  @ApiProperty({ example: 'The KMS key is disabled' })
  reason!: string;

  @ApiProperty({ format: 'date-time', description: 'When a probe first saw this state' })
  since!: string;

  @ApiProperty({ format: 'date-time', description: 'When the last probe finished' })
  checkedAt!: string;

  @ApiProperty({ type: String, nullable: true, example: 'KMS_KEY_DISABLED', description: 'The last error code (`KMS_SLOW` for a slow success); null when healthy' })
  code!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "AWS's message for the last error" })
  message!: string | null;

  @ApiProperty({ enum: HEALTH_STATES, description: 'What the last probe saw, even when not (yet) declared' })
  observed!: string;

  @ApiProperty({ type: PendingDecisionDto, nullable: true })
  pending!: PendingDecisionDto | null;
}

export class NewDataKeysDto {
  @ApiProperty({ description: 'True while the default key is in a confirmed decision state: a new scope fails at once with `code`' })
  blocked!: boolean;

  @ApiProperty({ type: String, nullable: true, example: 'KMS_KEY_DISABLED' })
  code!: string | null;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;
}

export class KeyCheckDto {
  @ApiProperty()
  keyId!: string;

  @ApiProperty({ type: KeyHealthDto })
  health!: KeyHealthDto;

  @ApiProperty({ minimum: 0, description: 'How long the canary took' })
  latencyMs!: number;
}
