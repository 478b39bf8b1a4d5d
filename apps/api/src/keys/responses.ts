import { ApiProperty } from '@nestjs/swagger';
import { KeyHealthDto, NewDataKeysDto } from '../key-health/responses';

/**
 * Response shapes of the key routes, for the OpenAPI document (and so the generated client).
 * The handlers return plain objects of these shapes; the contract test validates real responses
 * against the document, so a drift between the two fails a test.
 */

export class AwsKmsRefDto {
  @ApiProperty({ example: 'arn:aws:iam::111122223333:role/cmk-acme' })
  roleArn!: string;

  @ApiProperty({ description: 'The key ARN or alias ARN the admin entered', example: 'arn:aws:kms:us-east-1:111122223333:alias/acme-secrets' })
  keyArn!: string;
}

export class KeyDto {
  @ApiProperty({ example: 'k_9f2c6d1e' })
  id!: string;

  @ApiProperty({ example: 'Production' })
  name!: string;

  @ApiProperty({ enum: ['aws_kms'] })
  type!: 'aws_kms';

  @ApiProperty({ type: AwsKmsRefDto })
  awsKms!: AwsKmsRefDto;

  @ApiProperty()
  isDefault!: boolean;

  @ApiProperty({ enum: ['active', 'disabling', 'disabled'], description: '`disabling` while its data keys move to another key' })
  state!: string;

  @ApiProperty({ description: 'Exactly what `POST …/:keyId/set-default` would accept now' })
  canSetDefault!: boolean;

  @ApiProperty({ description: 'Exactly what `POST …/:keyId/disable` would accept now (for some destination)' })
  canDisable!: boolean;

  @ApiProperty({ format: 'date-time' })
  addedAt!: string;

  @ApiProperty({ type: KeyHealthDto, nullable: true, required: false, description: 'In the key list: the key health (null before the first probe)' })
  health?: KeyHealthDto | null;
}

export class ReencryptionDto {
  @ApiProperty({ example: 'r_5b1d2c' })
  id!: string;

  @ApiProperty({ enum: ['running', 'completed', 'failed'] })
  state!: string;

  @ApiProperty({ enum: ['first-key', 'key-disabled', 'all-keys-disabled', 'retry'], description: 'Why the run started' })
  reason!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The failed run this one retries' })
  retryOf!: string | null;

  @ApiProperty({ type: [String], description: 'Key ids whose data keys are rewrapped (`platform` for the platform key)' })
  from!: string[];

  @ApiProperty({ description: 'The key that receives them (`platform` for the platform key)' })
  to!: string;

  @ApiProperty({ minimum: 0 })
  total!: number;

  @ApiProperty({ minimum: 0 })
  done!: number;

  @ApiProperty({ minimum: 0 })
  failed!: number;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { KMS_ACCESS_DENIED: 3 } })
  failuresByCode!: Record<string, number>;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Seconds left at the rate seen so far; null when not measurable' })
  etaSeconds!: number | null;

  @ApiProperty({ type: String, nullable: true })
  failureReason!: string | null;
}

export class KeyListDto {
  @ApiProperty({ type: [KeyDto] })
  keys!: KeyDto[];

  @ApiProperty({ description: '`platform` or the id of a customer managed key', example: 'platform' })
  defaultKeyId!: string;

  @ApiProperty({ type: ReencryptionDto, nullable: true, description: 'The current or last run; null before the first' })
  reencryption!: ReencryptionDto | null;

  @ApiProperty({ type: NewDataKeysDto, description: 'Whether a new scope can get a data key now, and if not why' })
  newDataKeys!: NewDataKeysDto;
}

export class AddedKeyDto {
  @ApiProperty({ type: KeyDto })
  key!: KeyDto;

  @ApiProperty({ type: String, nullable: true, description: 'Set when adding the first key started a re-encryption' })
  reencryptionId!: string | null;
}

export class DefaultKeyDto {
  @ApiProperty({ example: 'k_9f2c6d1e' })
  defaultKeyId!: string;
}

export class ReencryptionStartedDto {
  @ApiProperty({ example: 'r_5b1d2c' })
  reencryptionId!: string;
}

export class HistoryEntryDto {
  @ApiProperty({ description: 'Stream revision (a decimal string: revisions are 64-bit)', example: '0' })
  revision!: string;

  @ApiProperty({ example: 'KeyAdded' })
  type!: string;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({ example: 'user:alice' })
  actor!: string;

  @ApiProperty({ type: String, nullable: true })
  tokenId!: string | null;

  @ApiProperty()
  requestId!: string;

  @ApiProperty()
  correlationId!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data!: Record<string, unknown>;
}

export class HistoryPageDto {
  @ApiProperty({ type: [HistoryEntryDto] })
  events!: HistoryEntryDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `from` for the next page; null at the end' })
  nextRevision!: string | null;
}
