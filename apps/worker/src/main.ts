import { Logger } from '@nestjs/common';
import { createKeyProviders } from '@cmk/key-providers';
import { ReadModelQueries, readModelKeys, startProjections, type ProjectionRunner } from '@cmk/read-models';
import { fleetKeys, startReencryptionFleet, type Fleet } from '@cmk/reencryption';
import { formatPosition, withTimedAppends } from '@cmk/eventstore';
import { claimRedisForStore, createRedis, describeEventStore, createRootLogger, loadConfigOrExit, nestLoggerOver, openEventStore, storeIdentity } from '@cmk/runtime';
import { loadWorkerConfig } from './config';
import { startProbeServer } from './probe-server';
import { WorkerMetrics } from './worker-metrics';

const logger = new Logger('worker');
const fleetLogger = new Logger('reencryption');

/**
 * The worker process: projections (idempotent, safe beside the api's) and the re-encryption
 * fleet (dispatcher + plan / rewrap-batch / finalize workers). Any number of replicas.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadWorkerConfig());
  Logger.overrideLogger(nestLoggerOver(createRootLogger(config)));
  const metrics = new WorkerMetrics(config.workerName);
  const store = withTimedAppends(await openEventStore(config), metrics.observeAppend);
  const redis = createRedis(config.redisUrl, `cmk-worker-${config.workerName}`);
  await claimRedisForStore(redis, config.redisUrl, await storeIdentity(store), [readModelKeys().checkpoint, fleetKeys.dispatcherCheckpoint]);
  const projections: ProjectionRunner | undefined = config.runProjections ? startProjections({ store, redis }) : undefined;
  const providers = config.runReencryption ? await createKeyProviders(config.keyProviders) : undefined;
  const fleet: Fleet | undefined = providers
    ? startReencryptionFleet({
        store,
        redis,
        redisUrl: config.redisUrl,
        queries: new ReadModelQueries(redis),
        providers: providers.registry,
        settings: config.reencryption,
        logger: fleetLogger,
        workerName: config.workerName,
      })
    : undefined;
  const probes =
    config.httpPort === undefined
      ? undefined
      : await startProbeServer({
          host: config.httpHost,
          port: config.httpPort,
          registry: metrics.registry,
          metricsToken: config.metricsToken,
          checks: {
            eventStore: async () => formatPosition(await store.headPosition()),
            redis: () => redis.ping(),
          },
        });
  if (probes) logger.log(`probes on http://${config.httpHost}:${probes.port} (/healthz, /readyz, /metrics)`);
  logger.log(`worker ${config.workerName} started (event store: ${describeEventStore(config)}; re-encryption: ${fleet ? 'on' : 'off'})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    // Workers first: they finish (or give back) their jobs while the store and Redis are still open.
    await fleet?.close();
    await probes?.close();
    await projections?.stop();
    providers?.close();
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
