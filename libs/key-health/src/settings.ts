import type { EnvReader } from '@cmk/runtime';

/** Key health settings; read once at the entry point. */
export interface KeyHealthSettings {
  /** `CMK_KEY_HEALTH_INTERVAL_SECONDS`: each key is probed once per interval (jittered per key). Default 300. */
  readonly intervalSeconds: number;
  /** `CMK_KEY_HEALTH_CONFIRMATIONS`: consecutive probes a decision state needs. Default 2. */
  readonly confirmations: number;
  /** `CMK_KEY_HEALTH_SLOW_MS`: a successful canary slower than this is `degraded`. Default 2 000. */
  readonly slowMs: number;
  /** `CMK_KEY_HEALTH_TIMEOUT_MS`: a canary taking longer is `unreachable`. Default 10 000. */
  readonly timeoutMs: number;
}

export const DEFAULT_KEY_HEALTH_SETTINGS: KeyHealthSettings = { intervalSeconds: 300, confirmations: 2, slowMs: 2_000, timeoutMs: 10_000 };

export function readKeyHealthSettings(reader: EnvReader): KeyHealthSettings {
  const d = DEFAULT_KEY_HEALTH_SETTINGS;
  return {
    intervalSeconds: reader.int('CMK_KEY_HEALTH_INTERVAL_SECONDS', d.intervalSeconds, 1, 86_400),
    confirmations: reader.int('CMK_KEY_HEALTH_CONFIRMATIONS', d.confirmations, 1, 20),
    slowMs: reader.int('CMK_KEY_HEALTH_SLOW_MS', d.slowMs, 1, 600_000),
    timeoutMs: reader.int('CMK_KEY_HEALTH_TIMEOUT_MS', d.timeoutMs, 100, 600_000),
  };
}
