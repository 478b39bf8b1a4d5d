import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches } from 'class-validator';
import { DEFAULT_SECRETS_LIMITS, SCOPE_PATTERN } from '@cmk/secrets';
import { quickCheck } from '../http/validation';

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

/** Exactly these keys, in any order, and nothing else. */
function hasOnlyKeys(body: object, keys: readonly string[]): boolean {
  const own = Object.keys(body);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(body, key));
}

function isStringList(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length > DEFAULT_SECRETS_LIMITS.maxBatchValues) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}

// The hot path of the secrets routes: a well-formed body skips class-transformer and
// class-validator; anything else gets the decorators above and their exact errors.
quickCheck(EncryptSecretsDto, (body) => hasOnlyKeys(body, ['scope', 'values']) && typeof body['scope'] === 'string' && SCOPE_PATTERN.test(body['scope']) && isStringList(body['values']));
quickCheck(DecryptSecretsDto, (body) => hasOnlyKeys(body, ['ciphertexts']) && isStringList(body['ciphertexts']));
