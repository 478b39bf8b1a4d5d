import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import { EnvReader, readCommonConfig, redactUrl } from '@cmk/runtime';
import { parse } from 'yaml';

/**
 * The engine cannot run here, so this parses docker/compose.yml and checks the deployment
 * defaults that keep it safe: only the api is published, KurrentDB runs with TLS and
 * authentication (certificates made by the `certs` one-shot), the apps connect with credentials
 * over TLS, Redis and PostgreSQL require passwords, and the KMS emulator runs only in `demo`.
 */

interface Service {
  readonly image?: string;
  readonly profiles?: string[];
  readonly ports?: (string | number | { published?: string | number; host_ip?: string })[];
  readonly environment?: Record<string, string | number>;
  readonly volumes?: string[];
  readonly command?: string | string[];
  readonly entrypoint?: string | string[];
  readonly depends_on?: Record<string, { condition?: string }> | string[];
  readonly healthcheck?: { test?: string | string[] };
}

const file = resolve(__dirname, '../../../docker/compose.yml');
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const text = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(' ') : (value ?? ''));

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` (nested), `$$` escapes. */
function interpolate(value: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '$' && value[i + 1] === '$') {
      out += '$';
      i++;
    } else if (value[i] === '$' && value[i + 1] === '{') {
      let depth = 1;
      let j = i + 2;
      while (depth > 0) {
        if (value[j] === '{') depth++;
        if (value[j] === '}') depth--;
        j++;
      }
      const body = value.slice(i + 2, j - 1);
      const [, name, operator, rest] = /^([A-Z0-9_]+)(?:(:-|:\?)([\s\S]*))?$/.exec(body) ?? [];
      if (!name) throw new Error(`unsupported interpolation \${${body}}`);
      const set = env[name] !== undefined && env[name] !== '';
      if (set) out += env[name];
      else if (operator === ':-') out += interpolate(rest ?? '', env);
      else if (operator === ':?') throw new Error(`required variable ${name}: ${rest}`);
      i = j - 1;
    } else out += value[i];
  }
  return out;
}

const SECRETS = { CMK_OPERATOR_TOKEN: 'o'.repeat(32), CMK_REDIS_PASSWORD: 'redispw0123456789abcdef', CMK_EVENTSTORE_PASSWORD: 'storepw0123456789abcdef' };
const appEnv = (service: string, env: Record<string, string> = SECRETS) =>
  Object.fromEntries(Object.entries(services[service]!.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), env)]));

describe('docker/compose.yml: secure deployment defaults', () => {
  it('publishes only the api (observability tools on the loopback interface only)', () => {
    const published = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((port) => ({ name, port: String(typeof port === 'object' ? `${port.host_ip ?? ''}:${port.published}` : port) })));
    expect(published.filter((p) => p.name !== 'api' && !(services[p.name]!.profiles ?? []).includes('observability'))).toEqual([]);
    expect(published.filter((p) => p.name === 'api').map((p) => p.port)).toEqual(['3000:3000']);
    for (const { name, port } of published.filter((p) => p.name !== 'api')) expect({ name, port, loopback: port.startsWith('127.0.0.1:') }).toEqual({ name, port, loopback: true });
    for (const internal of ['2113', '4566', '6379', '5432', '9464']) expect(published.filter((p) => p.port.includes(internal))).toEqual([]);
  });

  it('runs KurrentDB with TLS and authentication, with certificates made by the one-shot certs service', () => {
    const eventstore = services['eventstore']!;
    const env = eventstore.environment ?? {};
    expect(Object.keys(env).filter((k) => /INSECURE/.test(k))).toEqual([]);
    expect(env['KURRENTDB_CERTIFICATE_FILE']).toBe('/etc/kurrentdb/certs/node.crt');
    expect(env['KURRENTDB_CERTIFICATE_PRIVATE_KEY_FILE']).toBe('/etc/kurrentdb/certs/node.key');
    expect(env['KURRENTDB_TRUSTED_ROOT_CERTIFICATES_PATH']).toBe('/etc/kurrentdb/certs/ca');
    // The admin (and ops) password is required: no default such as "changeit".
    expect(String(env['KURRENTDB_DEFAULT_ADMIN_PASSWORD'])).toMatch(/^\$\{CMK_EVENTSTORE_PASSWORD:\?/);
    expect(String(env['KURRENTDB_DEFAULT_OPS_PASSWORD'])).toMatch(/^\$\{CMK_EVENTSTORE_PASSWORD:\?/);
    expect(eventstore.volumes).toContain('kurrentdb-certs:/etc/kurrentdb/certs:ro');
    expect(eventstore.depends_on).toEqual({ certs: { condition: 'service_completed_successfully' } });
    expect(text(eventstore.healthcheck?.test)).toContain('--cacert /etc/kurrentdb/certs/ca/ca.crt https://localhost:2113/');

    const certs = services['certs']!;
    expect(certs.image).toMatch(/^eventstore\/es-gencert-cli:\d/);
    expect(certs.profiles).toEqual(['esdb']);
    const script = text(certs.command);
    expect(script).toContain('es-gencert-cli create-ca');
    expect(script).toMatch(/create-node .*-dns-names eventstore/);
    expect(script).toContain('chmod 600 /node/node.key');
    expect(certs.volumes).toEqual(['kurrentdb-certs:/node', 'kurrentdb-ca:/ca']);
  });

  it('connects the apps to KurrentDB with credentials over TLS, checking its certificate against the CA', () => {
    for (const app of ['api', 'worker']) {
      const env = appEnv(app);
      const url = new URL(env['EVENTSTORE_URL']!);
      expect({ app, protocol: url.protocol, host: url.host, user: url.username, password: url.password, tls: url.searchParams.get('tls'), ca: url.searchParams.get('tlsCAFile') }).toEqual({
        app,
        protocol: 'esdb:',
        host: 'eventstore:2113',
        user: 'admin',
        password: SECRETS.CMK_EVENTSTORE_PASSWORD,
        tls: 'true',
        ca: '/certs/ca.crt',
      });
      // The CA certificate's volume, read-only, where the URL says; the node's private key is not mounted.
      expect(services[app]!.volumes).toContain('kurrentdb-ca:/certs:ro');
      expect((services[app]!.volumes ?? []).filter((v) => v.startsWith('kurrentdb-certs'))).toEqual([]);
    }
  });

  it('gives the apps a connection string the apps and the KurrentDB client accept, with the password kept out of logs', () => {
    const env = appEnv('api');
    const config = readCommonConfig(new EnvReader(env));
    expect(config.eventStoreUrl).toBe(env['EVENTSTORE_URL']);
    expect(redactUrl(config.eventStoreUrl!)).not.toContain(SECRETS.CMK_EVENTSTORE_PASSWORD);
    const dir = mkdtempSync(join(tmpdir(), 'cmk-compose-'));
    try {
      // The client reads tlsCAFile when it is created (no connection yet): point it at a file that exists.
      writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const client = EventStoreDBClient.connectionString(config.eventStoreUrl!.replace('/certs/ca.crt', join(dir, 'ca.crt')));
      expect(client).toBeInstanceOf(EventStoreDBClient);
      void client.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires a Redis password and gives it to the apps in REDIS_URL', () => {
    const redis = services['redis']!;
    expect(redis.ports).toBeUndefined();
    expect(String(redis.environment?.['CMK_REDIS_PASSWORD'])).toMatch(/^\$\{CMK_REDIS_PASSWORD:\?/);
    expect(text(redis.command)).toMatch(/requirepass %s.*\$\$CMK_REDIS_PASSWORD.*redis-server -/);
    for (const app of ['api', 'worker']) {
      const env = appEnv(app);
      const url = new URL(env['REDIS_URL']!);
      expect({ app, host: url.host, password: url.password }).toEqual({ app, host: 'redis:6379', password: SECRETS.CMK_REDIS_PASSWORD });
      expect(readCommonConfig(new EnvReader(env)).redisUrl).toBe(env['REDIS_URL']);
    }
    expect(() => appEnv('api', { ...SECRETS, CMK_REDIS_PASSWORD: '' })).toThrow(/required variable CMK_REDIS_PASSWORD/);
  });

  it('runs PostgreSQL (postgres profile) with a required password and password authentication', () => {
    const postgres = services['postgres']!;
    expect(postgres.profiles).toEqual(['postgres']);
    expect(postgres.ports).toBeUndefined();
    expect(String(postgres.environment?.['POSTGRES_PASSWORD'])).toMatch(/^\$\{CMK_EVENTSTORE_PASSWORD:\?/);
    expect(String(postgres.environment?.['POSTGRES_INITDB_ARGS'])).toContain('--auth-host=scram-sha-256');
    const env = appEnv('api', { ...SECRETS, EVENTSTORE_URL: `postgres://cmk:${SECRETS.CMK_EVENTSTORE_PASSWORD}@postgres:5432/cmk` });
    expect(readCommonConfig(new EnvReader(env)).eventStoreUrl).toBe(`postgres://cmk:${SECRETS.CMK_EVENTSTORE_PASSWORD}@postgres:5432/cmk`);
    expect(() => appEnv('api', { ...SECRETS, CMK_EVENTSTORE_PASSWORD: '' })).toThrow(/required variable CMK_EVENTSTORE_PASSWORD/);
  });

  it('runs the KMS emulator only in the demo profile, and the apps use real AWS endpoints unless told otherwise', () => {
    const emulator = services['kms-emulator']!;
    expect(emulator.profiles).toEqual(['demo']);
    expect(emulator.ports).toBeUndefined();
    for (const app of ['api', 'worker']) {
      const env = appEnv(app);
      expect({ app, kms: env['AWS_ENDPOINT_URL_KMS'], sts: env['AWS_ENDPOINT_URL_STS'] }).toEqual({ app, kms: '', sts: '' });
      const demo = appEnv(app, { ...SECRETS, CMK_AWS_ENDPOINT_URL: 'http://kms-emulator:4566' });
      expect(demo['AWS_ENDPOINT_URL_KMS']).toBe('http://kms-emulator:4566');
    }
    // Without a profile only Redis, the api and the workers run.
    expect(Object.entries(services).filter(([, s]) => !s.profiles).map(([name]) => name).sort()).toEqual(['api', 'redis', 'worker']);
  });

  it('requires the operator token and never ships a default secret for the apps', () => {
    expect(() => appEnv('api', { ...SECRETS, CMK_OPERATOR_TOKEN: '' })).toThrow(/required variable CMK_OPERATOR_TOKEN/);
    const settings = JSON.stringify(compose); // without the comments
    expect(settings).not.toMatch(/tls=false|KURRENTDB_INSECURE|changeit|"POSTGRES_PASSWORD":"\$\{[A-Z_]+:-/);
  });
});
