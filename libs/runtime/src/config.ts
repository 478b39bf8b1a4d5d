import { resolve } from 'node:path';

/** A configuration problem found at start-up; the entry point prints it and exits with 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The shortest bearer secret the apps accept from their environment (`CMK_OPERATOR_TOKEN`, `CMK_METRICS_TOKEN`). */
export const MIN_BEARER_SECRET_LENGTH = 24;

/** Reads typed values from the environment, collecting every problem before failing. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  /**
   * An optional bearer secret: unset, or at least `minLength` characters (a short one is refused
   * at start-up, never used). The problem names the length, never the value.
   */
  optionalSecret(name: string, minLength: number): string | undefined {
    const value = this.optional(name);
    if (value !== undefined && value.length < minLength) {
      this.problems.push(`${name} must be at least ${minLength} characters when set (got ${value.length})`);
      return undefined;
    }
    return value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return value;
  }

  url(name: string, fallback: string | undefined, protocols: readonly string[]): string | undefined {
    const raw = this.optional(name) ?? fallback;
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      this.problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.string(name, fallback);
    const match = allowed.find((candidate) => candidate === raw);
    if (match === undefined) this.problems.push(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(raw)})`);
    return match ?? fallback;
  }

  check(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Settings both apps share. */
export interface CommonConfig {
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. BullMQ queues and read models live here. */
  readonly redisUrl: string;
  /** `CMK_DATA_DIR`, default `./.data`: the embedded event store and local key material. */
  readonly dataDir: string;
  /**
   * `EVENTSTORE_URL`: when set, EventStoreDB/KurrentDB (`esdb://…`) or PostgreSQL
   * (`postgres://…`, `postgresql://…`) instead of the embedded SQLite store.
   */
  readonly eventStoreUrl: string | undefined;
  /** `CMK_PG_POOL_MAX`, default 10: most pooled PostgreSQL connections per process (plus one for LISTEN). */
  readonly pgPoolMax: number;
  /** `LOG_LEVEL`: `error`, `warn`, `log` (default), `debug`. */
  readonly logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** `LOG_FORMAT`: `text` (default; coloured on a terminal) or `json` (one object per line, for log shippers). */
  readonly logFormat: 'text' | 'json';
  /**
   * `CMK_SHUTDOWN_GRACE_MS`, default 10 000: from SIGTERM/SIGINT to the exit, whatever the state
   * of Redis and the event store (also during start-up). Keep it under the orchestrator's kill
   * timeout (Kubernetes: `terminationGracePeriodSeconds`, 30 s by default).
   */
  readonly shutdownGraceMs: number;
}

export function readCommonConfig(reader: EnvReader): CommonConfig {
  return {
    redisUrl: reader.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']) ?? 'redis://127.0.0.1:6379',
    dataDir: resolve(reader.string('CMK_DATA_DIR', './.data')),
    eventStoreUrl: reader.url('EVENTSTORE_URL', undefined, ['esdb:', 'esdb+discover:', 'kurrentdb:', 'kurrentdb+discover:', 'kurrent:', 'kurrent+discover:', 'postgres:', 'postgresql:']),
    pgPoolMax: reader.int('CMK_PG_POOL_MAX', 10, 1, 1000),
    logLevel: reader.oneOf('LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
    logFormat: reader.oneOf('LOG_FORMAT', 'text', ['text', 'json'] as const),
    shutdownGraceMs: reader.int('CMK_SHUTDOWN_GRACE_MS', 10_000, 500, 600_000),
  };
}
