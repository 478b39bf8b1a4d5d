import { readKeyProvidersConfig, type KeyProvidersConfig } from '@cmk/key-providers';
import { EnvReader, MIN_BEARER_SECRET_LENGTH, readCommonConfig, type CommonConfig } from '@cmk/runtime';
import { readSecretsConfig, type SecretsServiceOptions } from '@cmk/secrets';
import { readKeyHealthSettings, type KeyHealthSettings } from '@cmk/key-health';
import { readWebhookSettings, type WebhookSettings } from '@cmk/webhooks';
import { readRateLimitSettings, readTrustProxy, type RateLimitSettings } from './http/rate-limit/rate-limit-settings';
import { readStreamSettings, type StreamSettings } from './reencryption/stream-settings';

export interface ApiConfig extends CommonConfig {
  /** `PORT`, default 3000. */
  readonly port: number;
  /** `HOST`, default `127.0.0.1` (set `0.0.0.0` in containers). */
  readonly host: string;
  /** `CMK_OPERATOR_TOKEN` (required, at least 24 characters): guards `/api/admin` and ops routes. */
  readonly operatorToken: string;
  /** `PUBLIC_URL`, default `http://127.0.0.1:<PORT>`: the base of the OIDC issuer URL. */
  readonly publicUrl: string;
  /** `CMK_READ_WAIT_MS`, default 5000: how long a command waits for its read model to catch up. */
  readonly readWaitMs: number;
  /** Platform key, OIDC issuer and KMS client settings (see libs/key-providers/README.md). */
  readonly keyProviders: KeyProvidersConfig;
  /** Data-key cache (`CMK_DATA_KEY_CACHE_*`), key-ring cache, per-org data-key limit and data-key use bounds (`CMK_DATA_KEY_MAX_*`, `CMK_MAX_DATA_KEYS_PER_ORG`). */
  readonly secrets: SecretsServiceOptions;
  /** `CMK_METRICS_TOKEN`: optional second bearer secret accepted on `/metrics` (for a scraper); at least 24 characters when set. */
  readonly metricsToken: string | undefined;
  /** `CMK_KEY_HEALTH_*`: confirmations and thresholds of an admin's `…/check` (the worker schedules probes). */
  readonly keyHealth: KeyHealthSettings;
  /** `CMK_WEBHOOK_*`: which webhook URLs are accepted. */
  readonly webhooks: WebhookSettings;
  /** `CMK_STREAM_*`: heartbeats, the shared poll, the maximum duration and the connection caps of the live progress streams. */
  readonly streams: StreamSettings;
  /** `CMK_RATE_LIMIT_*`: inbound request budgets (see README "Limits"). */
  readonly rateLimits: RateLimitSettings;
  /** `CMK_TRUST_PROXY`, default `false`: which proxies' `X-Forwarded-For` decides the client address. */
  readonly trustProxy: boolean | number | string;
  /**
   * `CMK_QUEUE_DASHBOARD_WRITE`, default `false`: the queue dashboard at `/admin/queues` is
   * read-only (no retry, promote, clean, pause, add, remove) unless this is `true`.
   */
  readonly queueDashboardWritable: boolean;
}

/** Reads and validates the api's configuration once, at start-up. */
export function loadApiConfig(env: Readonly<Record<string, string | undefined>> = process.env): ApiConfig {
  const reader = new EnvReader(env);
  const common = readCommonConfig(reader);
  const port = reader.int('PORT', 3000, 0, 65_535);
  const operatorToken = reader.string('CMK_OPERATOR_TOKEN', '');
  if (operatorToken.length < MIN_BEARER_SECRET_LENGTH) reader.problems.push(`CMK_OPERATOR_TOKEN must be set to a secret of at least ${MIN_BEARER_SECRET_LENGTH} characters`);
  const metricsToken = reader.optionalSecret('CMK_METRICS_TOKEN', MIN_BEARER_SECRET_LENGTH);
  const publicUrl = reader.url('PUBLIC_URL', `http://127.0.0.1:${port}`, ['http:', 'https:']) ?? `http://127.0.0.1:${port}`;
  const config: ApiConfig = {
    ...common,
    port,
    host: reader.string('HOST', '127.0.0.1'),
    operatorToken,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    readWaitMs: reader.int('CMK_READ_WAIT_MS', 5_000, 0, 60_000),
    secrets: readSecretsConfig(reader),
    metricsToken,
    streams: readStreamSettings(reader),
    rateLimits: readRateLimitSettings(reader),
    trustProxy: readTrustProxy(reader),
    keyProviders: readKeyProvidersConfig(reader, { dataDir: common.dataDir, publicUrl: publicUrl.replace(/\/+$/, '') }),
    keyHealth: readKeyHealthSettings(reader),
    webhooks: readWebhookSettings(reader),
    queueDashboardWritable: reader.oneOf('CMK_QUEUE_DASHBOARD_WRITE', 'false', ['true', 'false'] as const) === 'true',
  };
  reader.check();
  return config;
}
