import { ArrayMaxSize, IsArray, IsString, Matches } from 'class-validator';
import { DEFAULT_SECRETS_LIMITS, SCOPE_PATTERN } from '@cmk/secrets';

export class EncryptSecretsDto {
  /** The environment the values belong to: 1-128 characters of `[A-Za-z0-9._/-]`. */
  @IsString()
  @Matches(SCOPE_PATTERN, { message: 'scope must be 1-128 characters of letters, digits, ".", "_", "/" or "-"' })
  scope!: string;

  /** At most 1 000 values and 1 MiB of UTF-8 per request (the service checks the bytes: 413). */
  @IsArray()
  @ArrayMaxSize(DEFAULT_SECRETS_LIMITS.maxBatchValues)
  @IsString({ each: true })
  values!: string[];
}

export class DecryptSecretsDto {
  /** `v1.<dataKeyId>.<nonce>.<ciphertext>` envelopes of this organisation, any scopes. */
  @IsArray()
  @ArrayMaxSize(DEFAULT_SECRETS_LIMITS.maxBatchValues)
  @IsString({ each: true })
  ciphertexts!: string[];
}
