import type { EnvReader } from '@cmk/runtime';

/** Bounds of the live progress streams (Server-Sent Events), per api replica. */
export interface StreamSettings {
  /** `CMK_STREAM_HEARTBEAT_MS`, default 15 000: a comment line when nothing else was sent for this long, so proxies keep the stream open. */
  readonly heartbeatMs: number;
  /**
   * `CMK_STREAM_POLL_MS`, default 1000: how often the one shared poll per org reads the progress,
   * and how often every stream re-checks its token (so a revoked token ends a stream within this
   * plus the token cache's second).
   */
  readonly pollMs: number;
  /** `CMK_STREAM_MAX_SECONDS`, default 300: a stream ends after this long; the client reconnects. */
  readonly maxSeconds: number;
  /** `CMK_STREAM_MAX_PER_ORG`, default 10: open streams per org on one replica (429 `STREAM_LIMIT_REACHED` beyond). */
  readonly maxPerOrg: number;
  /** `CMK_STREAM_MAX_TOTAL`, default 500: open streams on one replica, all orgs together (503 `STREAM_CAPACITY_REACHED` beyond). */
  readonly maxTotal: number;
}

export function readStreamSettings(reader: EnvReader): StreamSettings {
  return {
    heartbeatMs: reader.int('CMK_STREAM_HEARTBEAT_MS', 15_000, 100, 300_000),
    pollMs: reader.int('CMK_STREAM_POLL_MS', 1_000, 100, 60_000),
    maxSeconds: reader.int('CMK_STREAM_MAX_SECONDS', 300, 1, 86_400),
    maxPerOrg: reader.int('CMK_STREAM_MAX_PER_ORG', 10, 1, 10_000),
    maxTotal: reader.int('CMK_STREAM_MAX_TOTAL', 500, 1, 1_000_000),
  };
}
