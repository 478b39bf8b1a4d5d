import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches } from 'class-validator';
import { DEFAULT_SECRETS_LIMITS, SCOPE_PATTERN } from '@cmk/secrets';

export class EncryptSecretsDto {
  /** The environment the values belong to: 1-128 characters of `[A-Za-z0-9._/-]`. */
  @ApiProperty({ example: 'production', pattern: SCOPE_PATTERN.source })
  @IsString()
  @Matches(SCOPE_PATTERN, { message: 'scope must be 1-128 characters of letters, digits, ".", "_", "/" or "-"' })
  scope!: string;

  /** At most 1 000 values and 1 MiB of UTF-8 per request (the service checks the bytes: 413). */
  @ApiProperty({ type: [String], maxItems: DEFAULT_SECRETS_LIMITS.maxBatchValues, example: ['db-password'] })
  @IsArray()
  @ArrayMaxSize(DEFAULT_SECRETS_LIMITS.maxBatchValues)
  @IsString({ each: true })
  values!: string[];
}

export class DecryptSecretsDto {
  /** `v1.<dataKeyId>.<nonce>.<ciphertext>` envelopes of this organisation, any scopes. */
  @ApiProperty({ type: [String], maxItems: DEFAULT_SECRETS_LIMITS.maxBatchValues })
  @IsArray()
  @ArrayMaxSize(DEFAULT_SECRETS_LIMITS.maxBatchValues)
  @IsString({ each: true })
  ciphertexts!: string[];
}
