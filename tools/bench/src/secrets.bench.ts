/**
 * `npm run bench:secrets`: throughput of secret encryption with 1-KiB values.
 *
 * In process, warm cache, same inputs in one run: our `SecretsService`, the AWS Encryption SDK
 * for JavaScript (raw AES keyring + caching materials manager, committing non-signing suite,
 * REQUIRE_ENCRYPT_REQUIRE_DECRYPT), and bare Node AES-256-GCM (the physical limit). Then the two
 * HTTP endpoints of the built api (child process, private redis-server). Prints a table and
 * writes bench-results/secrets.json.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { openSqliteEventStore } from '@cmk/eventstore';
import { createKeyProviders } from '@cmk/key-providers';
import { SecretsService } from '@cmk/secrets';
import { freePort, HttpClient, RedisServer, ServiceProcess } from '@cmk/testing';

const VALUE_BYTES = 1024;
const BATCH = 1000;
const MEASURE_MS = Number(process.env['BENCH_MS'] ?? 2000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const ORG = 'bench-org';
const SCOPE = 'env/bench';

interface Row {
  readonly name: string;
  readonly operation: 'encrypt' | 'decrypt';
  readonly valuesPerSecond: number;
  readonly mibPerSecond: number;
}

/** Runs `batch` (which handles `perBatch` values) repeatedly for MEASURE_MS after a warm-up. */
async function measure(name: string, operation: Row['operation'], perBatch: number, batch: () => unknown): Promise<Row> {
  const warmUntil = Date.now() + Math.min(500, MEASURE_MS / 4);
  while (Date.now() < warmUntil) await batch();
  let values = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + MEASURE_MS;
  while (Date.now() < deadline) {
    await batch();
    values += perBatch;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const valuesPerSecond = values / seconds;
  return { name, operation, valuesPerSecond, mibPerSecond: (valuesPerSecond * VALUE_BYTES) / (1024 * 1024) };
}

function rawAes(key: Buffer, values: readonly string[]) {
  const sealed = values.map((value) => {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const body = Buffer.concat([cipher.update(Buffer.from(value, 'utf8')), cipher.final()]);
    return { nonce, body, tag: cipher.getAuthTag() };
  });
  return {
    // As fast as raw can be: one random draw for the whole batch's nonces (the service does the
    // same), so the ratio to this baseline measures our overhead, not a slower baseline.
    encrypt: () => {
      const nonces = randomBytes(12 * values.length);
      return values.map((value, i) => {
        const cipher = createCipheriv('aes-256-gcm', key, nonces.subarray(i * 12, (i + 1) * 12));
        const head = cipher.update(Buffer.from(value, 'utf8'));
        const tail = cipher.final();
        return Buffer.concat([head, tail, cipher.getAuthTag()], head.length + tail.length + 16);
      });
    },
    decrypt: () =>
      sealed.map(({ nonce, body, tag }) => {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce);
        decipher.setAuthTag(tag);
        const head = decipher.update(body);
        const tail = decipher.final();
        return (tail.length === 0 ? head : Buffer.concat([head, tail])).toString('utf8');
      }),
  };
}

async function encryptionSdk(values: readonly string[]) {
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyNamespace: 'bench',
    keyName: 'bench-key',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const cmm = new NodeCachingMaterialsManager({
    backingMaterials: keyring,
    cache: getLocalCryptographicMaterialsCache(1000),
    maxAge: 300_000,
    maxMessagesEncrypted: 2 ** 32,
  });
  const options = { suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY, encryptionContext: { org: ORG, scope: SCOPE }, plaintextLength: VALUE_BYTES };
  const sealed = await Promise.all(values.map(async (value) => (await encrypt(cmm, Buffer.from(value, 'utf8'), options)).result));
  return {
    encrypt: () => Promise.all(values.map((value) => encrypt(cmm, Buffer.from(value, 'utf8'), options))),
    decrypt: () => Promise.all(sealed.map(async (message) => (await decrypt(cmm, message)).plaintext.toString('utf8'))),
  };
}

async function inProcess(values: string[], dir: string): Promise<Row[]> {
  const store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  const providers = await createKeyProviders({ dataDir: dir, publicUrl: 'http://127.0.0.1:9' });
  try {
    const service = new SecretsService(store, providers.registry);
    const ciphertexts = await service.encrypt(ORG, SCOPE, values);
    if ((await service.decrypt(ORG, ciphertexts)).some((value, i) => value !== values[i])) throw new Error('round trip failed');
    const raw = rawAes(randomBytes(32), values);
    const sdk = await encryptionSdk(values);
    const candidates: [string, Row['operation'], () => unknown][] = [
      ['cmk SecretsService', 'encrypt', () => service.encrypt(ORG, SCOPE, values)],
      ['cmk SecretsService', 'decrypt', () => service.decrypt(ORG, ciphertexts)],
      ['raw AES-256-GCM', 'encrypt', raw.encrypt],
      ['raw AES-256-GCM', 'decrypt', raw.decrypt],
      ['AWS Encryption SDK', 'encrypt', sdk.encrypt],
      ['AWS Encryption SDK', 'decrypt', sdk.decrypt],
    ];
    // Interleaved rounds, best of each: on a shared machine a burst of other work then hurts
    // one round of one implementation, not the ratio between them.
    const best = new Map<string, Row>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, operation, batch] of candidates) {
        const row = await measure(name, operation, BATCH, batch);
        const key = `${name}/${operation}`;
        if ((best.get(key)?.valuesPerSecond ?? 0) < row.valuesPerSecond) best.set(key, row);
      }
    }
    return [...best.values()];
  } finally {
    providers.close();
    await store.close();
  }
}

/** The built api as a child process with a private redis-server; `concurrency` requests in flight. */
async function overHttp(values: string[], dir: string, perRequest: number, concurrency: number): Promise<Row[] | string> {
  const redis = await RedisServer.start();
  const port = await freePort();
  const operatorToken = `op_${randomBytes(24).toString('base64url')}`;
  const api = await ServiceProcess.start({
    name: 'api',
    script: resolve('dist/apps/api/src/main.js'),
    env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, REDIS_URL: redis.url, CMK_DATA_DIR: join(dir, 'http'), CMK_OPERATOR_TOKEN: operatorToken, LOG_LEVEL: 'warn' },
    readyUrl: `http://127.0.0.1:${port}/readyz`,
  });
  try {
    const operator = new HttpClient(`http://127.0.0.1:${port}`, operatorToken);
    await operator.post('/api/admin/orgs', { login: ORG, edition: 'team' });
    const issued = await operator.post<{ token: string }>(`/api/admin/orgs/${ORG}/tokens`, { user: 'bench', role: 'member' });
    const client = new HttpClient(`http://127.0.0.1:${port}`, issued.body.token);
    const body = { scope: SCOPE, values: values.slice(0, perRequest) };
    const first = await client.post<{ ciphertexts: string[] }>(`/api/orgs/${ORG}/secrets/encrypt`, body);
    if (first.status === 404) return 'skipped: the api does not serve /secrets yet (SecretsModule not wired in AppModule)';
    if (first.status !== 200) throw new Error(`encrypt answered ${first.status}`);
    const decryptBody = { ciphertexts: first.body.ciphertexts };
    const parallel = (path: string, payload: unknown) => () =>
      Promise.all(
        Array.from({ length: concurrency }, async () => {
          const response = await client.post(path, payload);
          if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
        }),
      );
    return [
      await measure(`HTTP (${perRequest}/request, ${concurrency} in flight)`, 'encrypt', perRequest * concurrency, parallel(`/api/orgs/${ORG}/secrets/encrypt`, body)),
      await measure(`HTTP (${perRequest}/request, ${concurrency} in flight)`, 'decrypt', perRequest * concurrency, parallel(`/api/orgs/${ORG}/secrets/decrypt`, decryptBody)),
    ];
  } finally {
    await api.stop();
    await redis.stop();
  }
}

function printTable(rows: readonly Row[]): void {
  const line = (cells: string[]) => `| ${cells[0].padEnd(36)} | ${cells[1].padEnd(7)} | ${cells[2].padStart(12)} | ${cells[3].padStart(8)} |`;
  console.log(line(['implementation', 'op', 'values/s', 'MiB/s']));
  console.log(line(['-'.repeat(36), '-'.repeat(7), '-'.repeat(12), '-'.repeat(8)]));
  for (const row of rows) console.log(line([row.name, row.operation, Math.round(row.valuesPerSecond).toLocaleString('en-US'), row.mibPerSecond.toFixed(1)]));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-bench-secrets-'));
  // Printable 1-KiB values: what environment secrets look like, and 1 byte per character in UTF-8.
  const values = Array.from({ length: BATCH }, () => randomBytes(VALUE_BYTES).toString('base64').slice(0, VALUE_BYTES));
  try {
    const rows = await inProcess(values, dir);
    const http = await overHttp(values, dir, Number(process.env['BENCH_HTTP_BATCH'] ?? 100), Number(process.env['BENCH_HTTP_CONCURRENCY'] ?? 8));
    const all = typeof http === 'string' ? rows : [...rows, ...http];
    printTable(all);
    if (typeof http === 'string') console.log(`HTTP: ${http}`);
    const rate = (name: string, op: Row['operation']) => rows.find((r) => r.name === name && r.operation === op)?.valuesPerSecond ?? NaN;
    const ratios = (['encrypt', 'decrypt'] as const).map((op) => ({
      operation: op,
      vsEncryptionSdk: rate('cmk SecretsService', op) / rate('AWS Encryption SDK', op),
      vsRawAesGcm: rate('cmk SecretsService', op) / rate('raw AES-256-GCM', op),
    }));
    for (const r of ratios) {
      const ok = r.vsEncryptionSdk >= 10 && r.vsRawAesGcm >= 0.5;
      console.log(`${r.operation}: ${r.vsEncryptionSdk.toFixed(1)}x the Encryption SDK, ${(r.vsRawAesGcm * 100).toFixed(0)}% of raw AES-256-GCM (targets >=10x, >=50%): ${ok ? 'met' : 'MISSED'}`);
    }
    mkdirSync('bench-results', { recursive: true });
    const out = join('bench-results', 'secrets.json');
    writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, valueBytes: VALUE_BYTES, batch: BATCH, measureMs: MEASURE_MS, rows: all, http: typeof http === 'string' ? http : 'measured', ratios }, null, 2)}\n`);
    console.log(`results written to ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
