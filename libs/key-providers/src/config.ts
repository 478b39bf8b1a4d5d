import { parseKeyArn } from '@cmk/domain';
import type { EnvReader } from '@cmk/runtime';
import type { AwsClientOptions } from './aws/aws-client-pool';
import type { ThrottleRetryOptions } from './aws/kms-calls';
import type { WebIdentityCredentialOptions } from './aws/web-identity-credentials';

/** Everything the key providers and the OIDC issuer need; read once at the entry point. */
export interface KeyProvidersConfig {
  /** `CMK_DATA_DIR`: holds `platform-master-keys.json` and `oidc-signing-keys.json`. */
  readonly dataDir: string;
  /** `PUBLIC_URL`: the issuer is `<publicUrl>/oidc`. Every replica (api and worker) must agree. */
  readonly publicUrl: string;
  /** `CMK_PLATFORM_MASTER_KEY`: see `MasterKeyringOptions.fromEnv`. Default: the file. */
  readonly platformMasterKey?: string;
  /** `CMK_PLATFORM_KMS_KEY_ARN`: use this KMS key (ambient AWS credentials) as the platform key. Default: local. */
  readonly platformKmsKeyArn?: string;
  /** `CMK_OIDC_SUBJECT_PREFIX`, default `cmk`. */
  readonly oidcSubjectPrefix?: string;
  /** `CMK_OIDC_TOKEN_TTL_SECONDS`, default 300. */
  readonly oidcTokenTtlSeconds?: number;
  readonly aws?: AwsClientOptions;
  readonly sessions?: WebIdentityCredentialOptions;
  readonly throttleRetry?: ThrottleRetryOptions;
  /**
   * `CMK_PLATFORM_REWRAP_INTERVAL_MS`, default 10 000: how often the worker rewraps org platform
   * keys still under an older platform master key version (after `keys rotate-platform`).
   */
  readonly platformRewrapIntervalMs?: number;
  /**
   * Where org platform keys are kept, set from `EVENTSTORE_URL`: a PostgreSQL URL, the
   * `cmk_org_platform_keys` table of that database; an `esdb://` URL, streams of that
   * EventStoreDB hard-deleted on destruction (`EsdbOrgKeyStore`). Either is shared by every
   * replica. Unset: `org-platform-keys.sqlite` in `dataDir`.
   */
  readonly orgKeyStoreUrl?: string;
}

/**
 * Reads the key-provider settings through the app's {@link EnvReader} (problems are collected,
 * not thrown). KMS/STS endpoints are left to the SDK, which honours `AWS_ENDPOINT_URL_KMS`,
 * `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL` itself.
 */
export function readKeyProvidersConfig(reader: EnvReader, base: { dataDir: string; publicUrl: string }): KeyProvidersConfig {
  const platformKmsKeyArn = reader.optional('CMK_PLATFORM_KMS_KEY_ARN');
  if (platformKmsKeyArn !== undefined && parseKeyArn(platformKmsKeyArn)?.kind !== 'key') {
    reader.problems.push('CMK_PLATFORM_KMS_KEY_ARN must be a key ARN (arn:aws:kms:<region>:<account>:key/<id>)');
  }
  const subjectPrefix = reader.string('CMK_OIDC_SUBJECT_PREFIX', 'cmk');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(subjectPrefix)) reader.problems.push('CMK_OIDC_SUBJECT_PREFIX must be 1-64 letters, digits, ".", "_" or "-"');
  return {
    dataDir: base.dataDir,
    publicUrl: base.publicUrl,
    platformMasterKey: reader.optional('CMK_PLATFORM_MASTER_KEY'),
    platformKmsKeyArn,
    oidcSubjectPrefix: subjectPrefix,
    oidcTokenTtlSeconds: reader.int('CMK_OIDC_TOKEN_TTL_SECONDS', 300, 60, 3600),
    aws: {
      maxSockets: reader.int('CMK_KMS_MAX_SOCKETS', 256, 1, 100_000),
      maxAttempts: reader.int('CMK_KMS_MAX_ATTEMPTS', 3, 1, 10),
      requestTimeoutMs: reader.int('CMK_KMS_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
    },
    sessions: { sessionDurationSeconds: reader.int('CMK_KMS_SESSION_SECONDS', 3600, 900, 43_200) },
    throttleRetry: { retries: reader.int('CMK_KMS_THROTTLE_RETRIES', 3, 0, 20) },
    platformRewrapIntervalMs: reader.int('CMK_PLATFORM_REWRAP_INTERVAL_MS', 10_000, 100, 3_600_000),
    orgKeyStoreUrl: orgKeyStoreUrlOf(reader.optional('EVENTSTORE_URL')),
  };
}

/** The event store's URL when it is PostgreSQL or EventStoreDB: org platform keys then live in the same store. */
export function orgKeyStoreUrlOf(eventStoreUrl: string | undefined): string | undefined {
  return postgresUrlOrUndefined(eventStoreUrl) ?? esdbUrlOrUndefined(eventStoreUrl);
}

/** The event store's URL when it is EventStoreDB (`esdb://` or `esdb+discover://`). */
export function esdbUrlOrUndefined(eventStoreUrl: string | undefined): string | undefined {
  return eventStoreUrl !== undefined && /^esdb(\+discover)?:\/\//.test(eventStoreUrl) ? eventStoreUrl : undefined;
}

/** The event store's URL when it is PostgreSQL: org platform keys then live in the same database. */
export function postgresUrlOrUndefined(eventStoreUrl: string | undefined): string | undefined {
  return eventStoreUrl !== undefined && /^postgres(ql)?:\/\//.test(eventStoreUrl) ? eventStoreUrl : undefined;
}
