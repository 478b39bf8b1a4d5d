import { Logger } from '@nestjs/common';
import { AUDIT_CHECKPOINT_KEY, AuditChainer, DigestKeyArchive, oidcDigestSigner, redisChainerCheckpoint } from '@cmk/audit';
import { createKeyProviders, OidcSigningKeyStore, startOrgKeyRewrapLoop } from '@cmk/key-providers';
import { ReadModelQueries, readModelKeys, startProjections, type ProjectionRunner } from '@cmk/read-models';
import { bullConnection, fleetKeys, migrateLegacyPlatformDataKeys, startReencryptionFleet, type Fleet } from '@cmk/reencryption';
import { formatPosition, withTimedAppends } from '@cmk/eventstore';
import { claimRedisForStore, createRedis, describeEventStore, createRootLogger, loadConfigOrExit, nestLoggerOver, openEventStore, storeIdentity } from '@cmk/runtime';
import { startKeyHealthFleet } from '@cmk/key-health';
import { startWebhookFleet, webhookKeys } from '@cmk/webhooks';
import { loadWorkerConfig } from './config';
import { startProbeServer } from './probe-server';
import { WorkerMetrics } from './worker-metrics';

const logger = new Logger('worker');
const fleetLogger = new Logger('reencryption');
const auditLogger = new Logger('audit-chain');
const healthLogger = new Logger('key-health');
const webhookLogger = new Logger('webhooks');

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
  await claimRedisForStore(redis, config.redisUrl, await storeIdentity(store), [readModelKeys().checkpoint, fleetKeys.dispatcherCheckpoint, webhookKeys.dispatcherCheckpoint, AUDIT_CHECKPOINT_KEY]);
  const projections: ProjectionRunner | undefined = config.runProjections ? startProjections({ store, redis }) : undefined;
  const providers = config.runReencryption || config.runKeyHealth || config.runWebhooks ? await createKeyProviders(config.keyProviders) : undefined;
  const fleet: Fleet | undefined = providers && config.runReencryption
    ? startReencryptionFleet({
        store,
        redis,
        redisUrl: config.redisUrl,
        queries: new ReadModelQueries(redis),
        providers: providers.registry,
        platformKeys: providers.orgKeys,
        settings: config.reencryption,
        logger: fleetLogger,
        workerName: config.workerName,
      })
    : undefined;
  const chainer = config.runAuditChain
    ? new AuditChainer({
        store,
        signer: oidcDigestSigner(await OidcSigningKeyStore.open({ dataDir: config.dataDir, tokenTtlSeconds: config.keyProviders.oidcTokenTtlSeconds })),
        archive: new DigestKeyArchive(config.dataDir),
        digestIntervalMs: config.auditDigestIntervalSeconds * 1000,
        checkpoint: redisChainerCheckpoint(redis),
        logger: auditLogger,
      }).start()
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
  const rewrapLoop = providers
    ? startOrgKeyRewrapLoop(providers.orgKeys, config.keyProviders.platformRewrapIntervalMs ?? 10_000, new Logger('platform-key'))
    : undefined;
  // Data keys written before org platform keys: moved under them in the background (idempotent).
  const platformLog = new Logger('platform-key');
  const migration = providers
    ? migrateLegacyPlatformDataKeys(store, providers.registry, {
        onProgress: (p) => {
          if (p.total > 0) platformLog.log(`migration to org platform keys: ${p.migrated + p.skipped + p.failed}/${p.total} (migrated ${p.migrated}, skipped ${p.skipped}, failed ${p.failed})`);
        },
      }).catch((error: unknown) => platformLog.warn(`migration to org platform keys stopped (resumes at the next start): ${error instanceof Error ? error.message : String(error)}`))
    : undefined;
  const connection = bullConnection(config.redisUrl, `cmk-signals-${config.workerName}`);
  const queries = new ReadModelQueries(redis);
  const health =
    providers && config.runKeyHealth
      ? startKeyHealthFleet({ store, redis, connection, queries, probe: providers.probe, settings: config.keyHealth, logger: healthLogger, workerName: config.workerName })
      : undefined;
  const webhooks =
    providers && config.runWebhooks
      ? startWebhookFleet({ store, redis, connection, platform: providers.registry.platformProvider, settings: config.webhooks, logger: webhookLogger, workerName: config.workerName })
      : undefined;
  logger.log(`worker ${config.workerName} started (event store: ${describeEventStore(config)}; re-encryption: ${fleet ? 'on' : 'off'}; key health: ${health ? 'on' : 'off'}; webhooks: ${webhooks ? 'on' : 'off'})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    // Workers first: they finish (or give back) their jobs while the store and Redis are still open.
    await fleet?.close();
    await health?.close();
    await webhooks?.close();
    await rewrapLoop?.stop();
    await Promise.race([migration, new Promise((done) => setTimeout(done, 5_000).unref())]);
    await probes?.close();
    await projections?.stop();
    await chainer?.stop();
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
