import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { EnvReader, openEventStore, readCommonConfig, REDIS_OWNER_KEY, storeIdentity } from '@cmk/runtime';
import { freePort } from '@cmk/testing';
import { readModelKeys } from '@cmk/read-models';
import { fleetKeys } from '@cmk/reencryption';

/**
 * `npm start`: everything a developer needs on one machine, no cloud account.
 * - Redis at REDIS_URL (default 127.0.0.1:6379); a private `redis-server` when none answers.
 * - The KMS + STS emulator on KMS_EMULATOR_PORT (default 4566) with a demo key and role,
 *   unless AWS_ENDPOINT_URL_KMS points somewhere else.
 * - The api (PORT, default 3000) and one worker, on the embedded event store in CMK_DATA_DIR.
 */
const ROOT = resolve(__dirname, '../../../..');
const dataDir = resolve(process.env['CMK_DATA_DIR'] ?? join(ROOT, '.data'));
const port = Number(process.env['PORT'] ?? 3000);
const publicUrl = process.env['PUBLIC_URL'] ?? `http://127.0.0.1:${port}`;
const children: ChildProcess[] = [];
let emulator: KmsEmulator | undefined;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The operator token and where it came from (the summary names the source). */
function operatorToken(): { token: string; source: string } {
  const fromEnv = process.env['CMK_OPERATOR_TOKEN'];
  if (fromEnv) return { token: fromEnv, source: 'from CMK_OPERATOR_TOKEN' };
  const file = join(dataDir, 'operator-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), source: `read from ${file}` };
  const token = `op_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: `generated now, written to ${file}` };
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** The Redis owner recorded by an earlier run, when it is not this data directory's store. */
async function ownedByAnotherStore(url: string): Promise<boolean> {
  const reader = new EnvReader({ ...process.env, CMK_DATA_DIR: dataDir });
  const store = await openEventStore(readCommonConfig(reader));
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const owner = await client.get(REDIS_OWNER_KEY);
    if (owner === null) return (await client.exists(readModelKeys().checkpoint, fleetKeys.dispatcherCheckpoint)) > 0;
    return owner !== (await storeIdentity(store));
  } finally {
    client.disconnect();
    await store.close();
  }
}

/** Returns the Redis URL the apps should use. */
async function ensureRedis(url: string): Promise<string> {
  if (await redisAnswers(url)) {
    // The default Redis once served another data directory: rather than fail, use a private one.
    if (process.env['REDIS_URL'] || !(await ownedByAnotherStore(url))) {
      say(`redis        ${url}`);
      return url;
    }
    say(`redis        ${url} holds another event store's read models; starting a private redis-server`);
    url = `redis://127.0.0.1:${await freePort()}`;
  }
  const bin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) throw new Error(`No Redis answers at ${url} and redis-server is not installed: start one or set REDIS_URL`);
  const { hostname, port: redisPort } = new URL(url);
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const child = spawn(bin, ['--port', redisPort || '6379', '--bind', hostname || '127.0.0.1', '--dir', dir, '--appendonly', 'yes'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let exited: string | undefined;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const deadline = Date.now() + 10_000;
  // A redis-server that failed to start (port taken, unwritable dir) must stop us here, not as
  // a confusing connection error in both apps later.
  while (!(await redisAnswers(url))) {
    if (exited !== undefined || Date.now() > deadline) {
      throw new Error(`the private redis-server at ${url} did not answer PING (${exited ?? 'no answer within 10 s'})${stderr ? `: ${stderr.trim()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`redis        ${url} (private redis-server started and answering, data in ${dir})`);
  return url;
}

async function startEmulator(): Promise<Record<string, string>> {
  if (process.env['AWS_ENDPOINT_URL_KMS']) {
    say(`kms          ${process.env['AWS_ENDPOINT_URL_KMS']} (from AWS_ENDPOINT_URL_KMS)`);
    return {};
  }
  emulator = await startKmsEmulator({ port: Number(process.env['KMS_EMULATOR_PORT'] ?? 4566) });
  const key = emulator.createKey({ alias: 'alias/cmk-demo', description: 'npm start demo key' });
  const { roleArn } = emulator.registerRole({
    roleArn: `arn:aws:iam::${emulator.accountId}:role/cmk-demo`,
    trust: { issuer: `${publicUrl}/oidc`, audience: 'aws:demo', subject: `${process.env['CMK_OIDC_SUBJECT_PREFIX'] ?? 'cmk'}:cmk:organization.login:demo` },
    allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }],
  });
  say(`kms emulator ${emulator.url}`);
  say(`  demo Role ARN  ${roleArn}   (trusts org "demo")`);
  say(`  demo Key ARN   ${key.keyArn}`);
  if (key.aliasArn) say(`  demo alias ARN ${key.aliasArn}`);
  return { AWS_ENDPOINT_URL_KMS: emulator.url, AWS_ENDPOINT_URL_STS: emulator.url, AWS_REGION: emulator.region };
}

function startApp(name: string, script: string, env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, [join(ROOT, script)], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping`);
      void stop(1);
    }
  });
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const child of children.reverse()) child.kill('SIGTERM');
  await emulator?.close();
  process.exit(code);
}

/** Waits until the api answers `/readyz` with 200 (the summary is printed only then). */
async function apiReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!stopping) throw new Error(`the api did not become ready at ${url}/readyz within ${timeoutMs / 1000} s (${last})`);
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const { token, source: tokenSource } = operatorToken();
  const redisUrl = await ensureRedis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const awsEnv = await startEmulator();
  const workerHttpPort = process.env['CMK_WORKER_HTTP_PORT'] ?? String(await freePort());
  const env = { ...process.env, ...awsEnv, REDIS_URL: redisUrl, CMK_DATA_DIR: dataDir, CMK_OPERATOR_TOKEN: token, PORT: String(port), PUBLIC_URL: publicUrl };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  startApp('api', 'dist/apps/api/src/main.js', env);
  startApp('worker', 'dist/apps/worker/src/main.js', { ...env, CMK_WORKER_HTTP_PORT: workerHttpPort });
  const apiUrl = `http://127.0.0.1:${port}`;
  await apiReady(apiUrl, 60_000);
  say('');
  say(`api          ${apiUrl}   (ready; /metrics, /admin/queues)`);
  say(`worker       http://127.0.0.1:${workerHttpPort}   (/healthz, /readyz, /metrics)`);
  say(`console      ${apiUrl}/console   (sign in with an org access token)`);
  say(`api docs     ${apiUrl}/api/docs   (OpenAPI: /api/openapi.json)`);
  say(`operator     token ${tokenSource}`);
  say('try:');
  say('  npx cmk org create demo --edition enterprise');
  say('  npx cmk token issue demo alice --role admin      # prints an admin token');
  say(`  open ${apiUrl}/console and paste the token (the demo Role ARN and Key ARN are above)`);
  say(`  curl -H "Authorization: Bearer <token>" ${apiUrl}/api/orgs/demo/customer-managed-keys`);
}

main().catch((error: unknown) => {
  process.stderr.write(`start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  void stop(1);
});
