import { EnvReader, readCommonConfig, type CommonConfig } from '@cmk/runtime';

export interface WorkerConfig extends CommonConfig {
  /** `CMK_RUN_PROJECTIONS`, default `true`: keep the read models (and the data-key index) current. */
  readonly runProjections: boolean;
}

/** Reads and validates the worker's configuration once, at start-up. */
export function loadWorkerConfig(env: Readonly<Record<string, string | undefined>> = process.env): WorkerConfig {
  const reader = new EnvReader(env);
  const common = readCommonConfig(reader);
  const config: WorkerConfig = {
    ...common,
    runProjections: reader.oneOf('CMK_RUN_PROJECTIONS', 'true', ['true', 'false'] as const) === 'true',
  };
  reader.check();
  return config;
}
