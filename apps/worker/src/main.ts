import { Logger } from '@nestjs/common';
import { startProjections, type ProjectionRunner } from '@cmk/read-models';
import { ConfigError, createRedis, describeEventStore, openEventStore } from '@cmk/runtime';
import { loadWorkerConfig, type WorkerConfig } from './config';

const logger = new Logger('worker');

/** The worker process: projections (idempotent, safe beside the api's) and, later, re-encryption. */
async function main(): Promise<void> {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const store = await openEventStore(config);
  const redis = createRedis(config.redisUrl, 'cmk-worker-projections');
  const projections: ProjectionRunner | undefined = config.runProjections ? startProjections({ store, redis }) : undefined;
  logger.log(`worker started (event store: ${describeEventStore(config)})`);
  const shutdown = async (signal: string) => {
    logger.log(`${signal}: shutting down`);
    await projections?.stop();
    await store.close();
    redis.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
