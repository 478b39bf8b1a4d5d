import { refuse } from './domain-error';

/**
 * ARN validation shared by the key ring decider, the API DTOs and the key providers, so every
 * layer agrees on what a Role ARN and a KMS key ARN look like. Only the `aws`, `aws-cn` and
 * `aws-us-gov` partitions are accepted.
 */
export const AWS_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type AwsPartition = (typeof AWS_PARTITIONS)[number];

export interface RoleArnParts {
  readonly partition: AwsPartition;
  readonly accountId: string;
  /** `/` for roles without a path, otherwise `/a/b/`. */
  readonly path: string;
  readonly roleName: string;
}

export interface KeyArnParts {
  readonly partition: AwsPartition;
  readonly region: string;
  readonly accountId: string;
  /** `key` for a key ARN; `alias` for an alias ARN (which must be resolved before wrapping). */
  readonly kind: 'key' | 'alias';
  /** The key id (`1234abcd-...`, `mrk-...`) or the alias name without `alias/`. */
  readonly resource: string;
}

const PARTITION = '(aws|aws-cn|aws-us-gov)';
const ACCOUNT = '(\\d{12})';
// IAM allows these characters in role names and path segments.
const IAM_CHARS = "[\\w+=,.@-]";
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role(/(?:${IAM_CHARS}+/)*)(${IAM_CHARS}{1,64})$`);
const REGION = '([a-z]{2}(?:-[a-z]+)+-\\d{1,2})';
// Real key ids are UUIDs or `mrk-<hex>`; emulators and tests use other ids, so accept the
// characters KMS allows rather than the exact AWS formats.
const KEY_ARN = new RegExp(`^arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/([A-Za-z0-9][A-Za-z0-9-]{0,127})$`);
const ALIAS_ARN = new RegExp(`^arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:alias/([A-Za-z0-9/_-]{1,250})$`);

function partitionOf(value: string | undefined): AwsPartition | undefined {
  return AWS_PARTITIONS.find((p) => p === value);
}

/** Parses `arn:<partition>:iam::<12 digits>:role/<path/name>`; `undefined` when it is not one. */
export function parseRoleArn(arn: string): RoleArnParts | undefined {
  const m = ROLE_ARN.exec(arn);
  const partition = partitionOf(m?.[1]);
  if (!m || !partition) return undefined;
  return { partition, accountId: m[2], path: m[3], roleName: m[4] };
}

/**
 * Parses a KMS key ARN or alias ARN; `undefined` when it is neither. AWS managed aliases
 * (`alias/aws/...`) are refused: their key policies cannot grant our role access.
 */
export function parseKeyArn(arn: string): KeyArnParts | undefined {
  const key = KEY_ARN.exec(arn);
  const alias = key ? null : ALIAS_ARN.exec(arn);
  const m = key ?? alias;
  const partition = partitionOf(m?.[1]);
  if (!m || !partition) return undefined;
  const resource = m[4];
  if (alias && (resource.startsWith('aws/') || resource === 'aws')) return undefined;
  return { partition, region: m[2], accountId: m[3], kind: key ? 'key' : 'alias', resource };
}

/** Returns the parts of a valid Role ARN or throws `DomainError(INVALID_ROLE_ARN)`. */
export function validateRoleArn(arn: string): RoleArnParts {
  const parts = parseRoleArn(arn);
  if (!parts) throw refuse('INVALID_ROLE_ARN', 'Role ARN must look like arn:aws:iam::<12 digits>:role/<name>', { roleArn: arn });
  return parts;
}

/**
 * Returns the parts of a valid key or alias ARN or throws `DomainError(INVALID_KEY_ARN)`.
 * Pass `{ allowAlias: false }` where only a resolved key ARN makes sense (what wraps data keys).
 */
export function validateKeyArn(arn: string, options: { allowAlias?: boolean } = {}): KeyArnParts {
  const parts = parseKeyArn(arn);
  const allowAlias = options.allowAlias ?? true;
  if (!parts || (!allowAlias && parts.kind === 'alias')) {
    throw refuse(
      'INVALID_KEY_ARN',
      allowAlias
        ? 'Key ARN must look like arn:aws:kms:<region>:<12 digits>:key/<id> or :alias/<name>'
        : 'A resolved key ARN (arn:aws:kms:<region>:<12 digits>:key/<id>) is required here',
      { keyArn: arn },
    );
  }
  return parts;
}
