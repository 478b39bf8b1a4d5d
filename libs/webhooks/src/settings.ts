import type { EnvReader } from '@cmk/runtime';

/** Webhook settings; read once at each app's entry point (the api checks URLs, the worker delivers). */
export interface WebhookSettings {
  /** `CMK_WEBHOOK_ALLOW_HTTP`: accept `http://` URLs (development only). Default false: https only. */
  readonly allowHttp: boolean;
  /**
   * `CMK_WEBHOOK_ALLOWED_HOSTS`: comma-separated host names, IP addresses or CIDR ranges that may be
   * targeted although they are loopback, link-local or private (an internal receiver). Default: none.
   */
  readonly allowedHosts: readonly string[];
  /** `CMK_WEBHOOK_ATTEMPTS`: tries of one delivery before it is logged as failed. Default 8. */
  readonly attempts: number;
  /** `CMK_WEBHOOK_BACKOFF_MS`: first retry delay, doubled each attempt. Default 2 000. */
  readonly backoffMs: number;
  /** `CMK_WEBHOOK_TIMEOUT_MS`: time a receiver has to answer. Default 5 000. */
  readonly timeoutMs: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = { allowHttp: false, allowedHosts: [], attempts: 8, backoffMs: 2_000, timeoutMs: 5_000 };

export function readWebhookSettings(reader: EnvReader): WebhookSettings {
  const d = DEFAULT_WEBHOOK_SETTINGS;
  return {
    allowHttp: reader.oneOf('CMK_WEBHOOK_ALLOW_HTTP', 'false', ['true', 'false'] as const) === 'true',
    allowedHosts: (reader.optional('CMK_WEBHOOK_ALLOWED_HOSTS') ?? '')
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry.length > 0),
    attempts: reader.int('CMK_WEBHOOK_ATTEMPTS', d.attempts, 1, 50),
    backoffMs: reader.int('CMK_WEBHOOK_BACKOFF_MS', d.backoffMs, 10, 3_600_000),
    timeoutMs: reader.int('CMK_WEBHOOK_TIMEOUT_MS', d.timeoutMs, 100, 60_000),
  };
}
