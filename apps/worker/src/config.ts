import { hostname } from 'node:os';
import { readKeyProvidersConfig, type KeyProvidersConfig } from '@cmk/key-providers';
import { readReencryptionSettings, type ReencryptionSettings } from '@cmk/reencryption';
import { EnvReader, MIN_BEARER_SECRET_LENGTH, readCommonConfig, type CommonConfig } from '@cmk/runtime';
import { readKeyHealthSettings, type KeyHealthSettings } from '@cmk/key-health';
import { readWebhookSettings, type WebhookSettings } from '@cmk/webhooks';

export interface WorkerConfig extends CommonConfig {
  /** `CMK_RUN_PROJECTIONS`, default `true`: keep the read models (and the data-key index) current. */
  readonly runProjections: boolean;
  /** `CMK_RUN_REENCRYPTION`, default `true`: run the dispatcher and the re-encryption workers. */
  readonly runReencryption: boolean;
  /** `CMK_WORKER_NAME`, default `<hostname>-<pid>`: this process in metrics and `job.processedBy`. */
  readonly workerName: string;
  /** `PUBLIC_URL` must equal the api's: the worker signs web identity tokens for the same issuer. */
  readonly keyProviders: KeyProvidersConfig;
  /** `CMK_RUN_AUDIT_CHAIN`, default `true`: extend each org's audit hash chain and sign digests. */
  readonly runAuditChain: boolean;
  /** `CMK_AUDIT_DIGEST_INTERVAL_SECONDS`, default 3 600: how often unsigned links get a signed digest. */
  readonly auditDigestIntervalSeconds: number;
  /**
   * `CMK_WORKER_HTTP_PORT`, default unset (no port): `/healthz`, `/readyz` and `/metrics` for
   * an orchestrator and Prometheus. Listens on `HOST` (default `127.0.0.1`).
   */
  readonly httpPort: number | undefined;
  readonly httpHost: string;
  /** `CMK_METRICS_TOKEN`: when set (at least 24 characters, like the api's), the worker's `/metrics` requires it as a bearer token. */
  readonly metricsToken: string | undefined;
  readonly reencryption: ReencryptionSettings;
  /** `CMK_RUN_KEY_HEALTH`, default `true`: schedule and run the key health probes. */
  readonly runKeyHealth: boolean;
  readonly keyHealth: KeyHealthSettings;
  /** `CMK_RUN_WEBHOOKS`, default `true`: dispatch and deliver webhooks. */
  readonly runWebhooks: boolean;
  readonly webhooks: WebhookSettings;
}

/** Reads and validates the worker's configuration once, at start-up. */
export function loadWorkerConfig(env: Readonly<Record<string, string | undefined>> = process.env): WorkerConfig {
  const reader = new EnvReader(env);
  const common = readCommonConfig(reader);
  const publicUrl = (reader.url('PUBLIC_URL', 'http://127.0.0.1:3000', ['http:', 'https:']) ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const config: WorkerConfig = {
    ...common,
    runProjections: reader.oneOf('CMK_RUN_PROJECTIONS', 'true', ['true', 'false'] as const) === 'true',
    runReencryption: reader.oneOf('CMK_RUN_REENCRYPTION', 'true', ['true', 'false'] as const) === 'true',
    workerName: reader.string('CMK_WORKER_NAME', `${hostname()}-${process.pid}`),
    keyProviders: readKeyProvidersConfig(reader, { dataDir: common.dataDir, publicUrl }),
    runAuditChain: reader.oneOf('CMK_RUN_AUDIT_CHAIN', 'true', ['true', 'false'] as const) === 'true',
    auditDigestIntervalSeconds: reader.int('CMK_AUDIT_DIGEST_INTERVAL_SECONDS', 3600, 1, 86_400),
    httpPort: reader.optional('CMK_WORKER_HTTP_PORT') === undefined ? undefined : reader.int('CMK_WORKER_HTTP_PORT', 0, 0, 65_535),
    httpHost: reader.string('HOST', '127.0.0.1'),
    metricsToken: reader.optionalSecret('CMK_METRICS_TOKEN', MIN_BEARER_SECRET_LENGTH),
    reencryption: readReencryptionSettings(reader),
    runKeyHealth: reader.oneOf('CMK_RUN_KEY_HEALTH', 'true', ['true', 'false'] as const) === 'true',
    keyHealth: readKeyHealthSettings(reader),
    runWebhooks: reader.oneOf('CMK_RUN_WEBHOOKS', 'true', ['true', 'false'] as const) === 'true',
    webhooks: readWebhookSettings(reader),
  };
  reader.check();
  return config;
}
