import { Logger } from '@nestjs/common';
import { AUDIT_CHECKPOINT_KEY, AuditChainer, DigestKeyArchive, oidcDigestSigner, redisChainerCheckpoint } from '@cmk/audit';
import { createKeyProviders, OidcSigningKeyStore, startOrgKeyRewrapLoop } from '@cmk/key-providers';
import { startKeyHealthFleet } from '@cmk/key-health';
import { startWebhookFleet, webhookKeys } from '@cmk/webhooks';
import { formatPosition, withTimedAppends } from '@cmk/eventstore';
import { ReadModelQueries, readModelKeys, startProjections } from '@cmk/read-models';
import { bullConnection, fleetKeys, migrateLegacyPlatformDataKeys, startReencryptionFleet } from '@cmk/reencryption';
import {
  claimRedisForStore,
  createRootLogger,
  createRedis,
  DependencyHealth,
  describeEventStore,
  eventStoreProbe,
  GracefulShutdown,
  loadConfigOrExit,
  logProcessWarnings,
  nestLoggerOver,
  openEventStore,
  redactUrl,
  redisProbe,
  StartupAbortedError,
  startDependencyProbes,
  storeIdentity,
  untilAvailable,
} from '@cmk/runtime';
import { register, Registry } from 'prom-client';
import { loadWorkerConfig, type WorkerConfig } from './config';
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
 *
 * Everything it opens is registered with the shutdown as it is opened, so SIGTERM at any moment
 * (start-up included, dependencies down included) closes what exists within the grace.
 */
async function main(config: WorkerConfig, shutdown: GracefulShutdown, health: DependencyHealth): Promise<void> {
  const wait = (what: string) => ({ health, stopping: () => shutdown.stopping, what });

  const metrics = new WorkerMetrics(config.workerName);
  const store = withTimedAppends(await untilAvailable(() => openEventStore(config, health), wait('opening the event store')), metrics.observeAppend);
  shutdown.register('event store', () => store.close());
  const redis = createRedis(config.redisUrl, `cmk-worker-${config.workerName}`, health);
  shutdown.register('redis', async () => redis.disconnect());
  const probes = startDependencyProbes(health, { redis: redisProbe(redis), eventstore: eventStoreProbe(store) });
  shutdown.register('health probes', async () => {
    probes.stop();
    health.close();
  });
  if (config.httpPort !== undefined) {
    // Up during start-up too: an orchestrator sees 503 (and why) while a dependency is down.
    const pingRedis = redisProbe(redis);
    const server = await startProbeServer({
      host: config.httpHost,
      port: config.httpPort,
      // This process's registry plus the default one (cmk_dependency_up, cmk_dependency_outages_total).
      registry: Registry.merge([metrics.registry, register]),
      metricsToken: config.metricsToken,
      checks: {
        eventStore: async () => {
          if (!health.isUp('eventstore')) throw new Error('outage in progress');
          return formatPosition(await store.headPosition());
        },
        redis: async () => {
          if (!health.isUp('redis')) throw new Error('outage in progress');
          await pingRedis();
          return 'PONG';
        },
      },
    });
    shutdown.register('probe server', () => server.close());
    logger.log(`probes on http://${config.httpHost}:${server.port} (/healthz, /readyz, /metrics)`);
  }

  const storeId = await untilAvailable(() => storeIdentity(store), wait('reading the event store identity'));
  await untilAvailable(() => claimRedisForStore(redis, config.redisUrl, storeId, [readModelKeys().checkpoint, fleetKeys.dispatcherCheckpoint, fleetKeys.strandedCheckpoint, webhookKeys.dispatcherCheckpoint, AUDIT_CHECKPOINT_KEY]), wait('claiming Redis'));
  if (shutdown.stopping) throw new StartupAbortedError();

  if (config.runProjections) {
    const projections = startProjections({ store, redis, outages: health });
    shutdown.register('projections', async () => {
      // A write waiting for an unreachable Redis would never return: cut it, the checkpoint is safe.
      if (!health.isUp('redis')) redis.disconnect();
      await projections.stop();
    });
  }
  if (config.runAuditChain) {
    const chainer = new AuditChainer({
      store,
      signer: oidcDigestSigner(await OidcSigningKeyStore.open({ dataDir: config.dataDir, tokenTtlSeconds: config.keyProviders.oidcTokenTtlSeconds })),
      archive: new DigestKeyArchive(config.dataDir),
      digestIntervalMs: config.auditDigestIntervalSeconds * 1000,
      checkpoint: redisChainerCheckpoint(redis),
      logger: auditLogger,
      outages: health,
    }).start();
    shutdown.register('audit chain', () => chainer.stop());
  }
  const providers = config.runReencryption || config.runKeyHealth || config.runWebhooks ? await createKeyProviders(config.keyProviders) : undefined;
  if (providers) shutdown.register('key providers', async () => providers.close());
  if (providers) {
    const rewrapLoop = startOrgKeyRewrapLoop(providers.orgKeys, config.keyProviders.platformRewrapIntervalMs ?? 10_000, new Logger('platform-key'), health);
    // Data keys written before org platform keys: moved under them in the background (idempotent).
    const platformLog = new Logger('platform-key');
    const migration = migrateLegacyPlatformDataKeys(store, providers.registry, {
      onProgress: (p) => {
        if (p.total > 0) platformLog.log(`migration to org platform keys: ${p.migrated + p.skipped + p.failed}/${p.total} (migrated ${p.migrated}, skipped ${p.skipped}, failed ${p.failed})`);
      },
    }).catch((error: unknown) => platformLog.warn(`migration to org platform keys stopped (resumes at the next start): ${error instanceof Error ? error.message : String(error)}`));
    shutdown.register('platform-key loops', async () => {
      await rewrapLoop.stop();
      await Promise.race([migration, new Promise((done) => setTimeout(done, 5_000).unref())]);
    });
  }
  const connection = bullConnection(config.redisUrl, `cmk-signals-${config.workerName}`);
  const queries = new ReadModelQueries(redis);
  if (providers && config.runWebhooks) {
    const webhooks = startWebhookFleet({ store, redis, connection, platform: providers.registry.platformProvider, settings: config.webhooks, logger: webhookLogger, workerName: config.workerName, outages: health });
    // With Redis down a close would wait for it; nothing could be handed back anyway.
    shutdown.register('webhooks', async () => (health.isUp('redis') ? webhooks.close() : void webhooks.close().catch(() => undefined)));
  }
  if (providers && config.runKeyHealth) {
    const keyHealth = startKeyHealthFleet({ store, redis, connection, queries, probe: providers.probe, settings: config.keyHealth, logger: healthLogger, workerName: config.workerName, outages: health });
    shutdown.register('key health', async () => (health.isUp('redis') ? keyHealth.close() : void keyHealth.close().catch(() => undefined)));
  }
  if (providers && config.runReencryption) {
    const fleet = startReencryptionFleet({
      store,
      redis,
      redisUrl: config.redisUrl,
      queries,
      providers: providers.registry,
      platformKeys: providers.orgKeys,
      settings: config.reencryption,
      logger: fleetLogger,
      outages: health,
      workerName: config.workerName,
    });
    // Workers close first (registered last): they finish or give back their jobs while the store
    // and Redis are still open. With a dependency down nothing could be finished: close at once.
    shutdown.register('re-encryption workers', async () => {
      const force = !health.isUp('redis') || !health.isUp('eventstore');
      const { abandonedJobs } = await fleet.close({ force });
      return abandonedJobs > 0 ? { clean: false, note: `${abandonedJobs} job(s) abandoned (a dependency is down); they run again once their lock expires` } : undefined;
    });
  }
  logger.log(
    `worker ${config.workerName} started (event store: ${describeEventStore(config)}; re-encryption: ${config.runReencryption ? 'on' : 'off'}; key health: ${config.runKeyHealth ? 'on' : 'off'}; webhooks: ${config.runWebhooks ? 'on' : 'off'})`,
  );
}

function boot(): void {
  const config = loadConfigOrExit(() => loadWorkerConfig());
  Logger.overrideLogger(nestLoggerOver(createRootLogger(config)));
  logProcessWarnings(new Logger('node'));
  const health = new DependencyHealth({ logger: new Logger('dependencies'), where: { redis: redactUrl(config.redisUrl), eventstore: describeEventStore(config) } });
  const shutdown = new GracefulShutdown({ graceMs: config.shutdownGraceMs, logger });
  shutdown.install();
  main(config, shutdown, health).catch((error: unknown) => {
    // A signal during start-up: the shutdown closes what was opened and chooses the exit code.
    if (shutdown.stopping || error instanceof StartupAbortedError) return;
    logger.error(`worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

boot();
