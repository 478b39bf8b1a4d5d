import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { startEsdbEmulator, type EsdbEmulator } from '@cmk/esdb-emulator';
import { openEsdbEventStore, openPostgresEventStore, openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { freePort, HttpClient, PostgresTestDatabase, RedisServer, ServiceProcess } from '@cmk/testing';

export interface E2eOptions {
  /** Start the worker app too. Default false. */
  readonly worker?: boolean;
  /** Extra environment for both apps. */
  readonly env?: Readonly<Record<string, string>>;
  /** Persist Redis across restarts (for kill/restart tests). Default false. */
  readonly redisAppendOnly?: boolean;
  /** Make Redis require this password (the apps get it in `REDIS_URL`). Default: none. */
  readonly redisPassword?: string;
  /**
   * The apps' event store: the embedded SQLite file, EventStoreDB through the gRPC emulator
   * started in the test process, or a PostgreSQL database created for this environment (and
   * dropped by `stop()`). Default: `CMK_E2E_EVENT_STORE`, else `sqlite`.
   */
  readonly eventStore?: E2eEventStore;
}

export type E2eEventStore = 'sqlite' | 'esdb' | 'postgres';

function defaultEventStore(): E2eEventStore {
  const chosen = process.env['CMK_E2E_EVENT_STORE'];
  return chosen === 'esdb' || chosen === 'postgres' ? chosen : 'sqlite';
}

export interface DemoKey {
  readonly roleArn: string;
  readonly keyArn: string;
  readonly aliasArn: string | undefined;
}

/**
 * Everything an end-to-end test needs, started by the test itself: a private redis-server, the
 * KMS/STS emulator (in the test process, so the test can inject faults and read call counts),
 * a temporary data directory for the embedded event store, and the built api (and worker) as
 * real processes.
 */
export class E2eEnvironment {
  readonly operatorToken = `op_${randomBytes(24).toString('base64url')}`;
  readonly processes: ServiceProcess[] = [];
  api!: ServiceProcess;
  worker: ServiceProcess | undefined;
  baseUrl!: string;

  private constructor(
    readonly redis: RedisServer,
    readonly kms: KmsEmulator,
    readonly dataDir: string,
    readonly env: Record<string, string>,
    readonly esdb: EsdbEmulator | undefined,
    readonly postgres: PostgresTestDatabase | undefined,
  ) {}

  static async start(options: E2eOptions = {}): Promise<E2eEnvironment> {
    const redis = await RedisServer.start({ appendOnly: options.redisAppendOnly ?? false, password: options.redisPassword });
    const kms = await startKmsEmulator();
    const dataDir = mkdtempSync(join(tmpdir(), 'cmk-e2e-'));
    const kind = options.eventStore ?? defaultEventStore();
    const esdb = kind === 'esdb' ? await startEsdbEmulator() : undefined;
    const postgres = kind === 'postgres' ? await PostgresTestDatabase.create('e2e') : undefined;
    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      REDIS_URL: redis.url,
      CMK_DATA_DIR: dataDir,
      AWS_ENDPOINT_URL_KMS: kms.url,
      AWS_ENDPOINT_URL_STS: kms.url,
      AWS_REGION: kms.region,
      LOG_LEVEL: 'warn',
      // Health probes would consume faults a test injects for its own KMS calls: on only where asked.
      CMK_RUN_KEY_HEALTH: 'false',
      ...(esdb ? { EVENTSTORE_URL: esdb.url } : {}),
      ...(postgres ? { EVENTSTORE_URL: postgres.url } : {}),
      ...options.env,
    };
    const environment = new E2eEnvironment(redis, kms, dataDir, env, esdb, postgres);
    environment.baseUrl = `http://127.0.0.1:${port}`;
    await environment.startApi();
    if (options.worker) await environment.startWorker();
    return environment;
  }

  async startApi(): Promise<ServiceProcess> {
    this.api = await ServiceProcess.start({
      name: 'api',
      script: 'dist/apps/api/src/main.js',
      env: { ...this.env, CMK_OPERATOR_TOKEN: this.operatorToken },
      readyUrl: `${this.baseUrl}/readyz`,
    });
    this.processes.push(this.api);
    return this.api;
  }

  async startWorker(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const worker = await ServiceProcess.start({ name: 'worker', script: 'dist/apps/worker/src/main.js', env: { ...this.env, ...extraEnv } });
    this.worker ??= worker;
    this.processes.push(worker);
    return worker;
  }

  /** A client of the same event store the apps use (close it when done). */
  openStore(): Promise<EventStore> {
    if (this.esdb) return openEsdbEventStore({ url: this.esdb.url });
    if (this.postgres) return openPostgresEventStore({ url: this.postgres.url, poolMax: 4 });
    return openSqliteEventStore({ path: join(this.dataDir, 'events.sqlite') });
  }

  /**
   * An event store outage on the embedded store: another process-level connection takes the
   * SQLite write lock (BEGIN EXCLUSIVE) until `release()`. Reads still work; every append waits
   * for its busy timeout and fails with SQLITE_BUSY.
   */
  lockSqlite(): { release(): void } {
    const db = new BetterSqlite3(join(this.dataDir, 'events.sqlite'), { timeout: 5_000 });
    db.exec('BEGIN EXCLUSIVE');
    return {
      release: () => {
        db.exec('COMMIT');
        db.close();
      },
    };
  }

  /**
   * Makes the apps' event store unavailable until `end()`: the EventStoreDB emulator stopped
   * (connections refused, its log kept), the PostgreSQL database refusing and dropping
   * connections, or the SQLite file write-locked by another connection.
   */
  async interruptEventStore(): Promise<{ end(): Promise<void> }> {
    const esdb = this.esdb;
    if (esdb) {
      await esdb.stop();
      return { end: () => esdb.restart() };
    }
    if (this.postgres) return this.postgres.interrupt();
    const lock = this.lockSqlite();
    return { end: async () => lock.release() };
  }

  /** A client with the operator token. */
  operator(): HttpClient {
    return new HttpClient(this.baseUrl, this.operatorToken);
  }

  anonymous(): HttpClient {
    return new HttpClient(this.baseUrl);
  }

  /** Registers an org and returns a client holding a token with `role`. */
  async orgWithToken(login: string, edition: string, role: 'admin' | 'member' | 'auditor' = 'admin'): Promise<HttpClient> {
    const created = await this.operator().post('/api/admin/orgs', { login, edition });
    if (created.status !== 201 && created.status !== 409) throw new Error(`org create: ${created.status} ${JSON.stringify(created.body)}`);
    return this.tokenFor(login, role);
  }

  async tokenFor(login: string, role: 'admin' | 'member' | 'auditor', user = `${role}-user`): Promise<HttpClient> {
    const issued = await this.operator().post<{ token: string }>(`/api/admin/orgs/${login}/tokens`, { user, role });
    if (issued.status !== 201) throw new Error(`token issue: ${issued.status} ${JSON.stringify(issued.body)}`);
    return new HttpClient(this.baseUrl, issued.body.token);
  }

  /** A KMS key in the emulator and a role that trusts our issuer for `org`. */
  demoKey(org: string, options: { alias?: string; actions?: string[]; subjectPrefix?: string } = {}): DemoKey {
    const key = this.kms.createKey({ alias: options.alias ?? `alias/${org}-${randomBytes(4).toString('hex')}` });
    const roleName = `cmk-${org}-${randomBytes(4).toString('hex')}`;
    const { roleArn } = this.kms.registerRole({
      roleArn: `arn:aws:iam::${this.kms.accountId}:role/${roleName}`,
      trust: { issuer: `${this.baseUrl}/oidc`, audience: `aws:${org}`, subject: `${options.subjectPrefix ?? 'cmk'}:cmk:organization.login:${org}` },
      allow: [{ keyArn: key.keyArn, actions: options.actions ?? ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }],
    });
    return { roleArn, keyArn: key.keyArn, aliasArn: key.aliasArn };
  }

  async stop(): Promise<void> {
    for (const process of this.processes.reverse()) await process.stop();
    await this.kms.close();
    await this.esdb?.close();
    await this.postgres?.drop();
    await this.redis.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
