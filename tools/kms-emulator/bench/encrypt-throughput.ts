/**
 * Encrypt throughput from one SDK client (keep-alive) at a fixed concurrency against an
 * in-process emulator. Not a test: run it by hand and read the number.
 *
 *   npm run build
 *   node dist/tools/kms-emulator/bench/encrypt-throughput.js [concurrency=32] [seconds=10] [Encrypt|Decrypt]
 *
 * Or against a running emulator (then only the SDK runs here): KMS_EMULATOR_URL=http://127.0.0.1:4566.
 */
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ADMIN_CREDENTIALS, startKmsEmulator, type KmsEmulator } from '../src/index';

async function main(): Promise<void> {
  const concurrency = Number(process.argv[2] ?? 32);
  const seconds = Number(process.argv[3] ?? 10);
  const operation = process.argv[4] ?? 'Encrypt';
  const external = process.env.KMS_EMULATOR_URL;
  const emulator: KmsEmulator | undefined = external ? undefined : await startKmsEmulator();
  const endpoint = external ?? emulator?.url ?? '';
  const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials: DEFAULT_ADMIN_CREDENTIALS });
  const keyArn = emulator ? emulator.createKey({ description: 'bench' }).keyArn : await createKeyRemotely(endpoint);
  const context = { org: 'bench', dataKey: 'dk' };
  const plaintext = Buffer.alloc(32, 7);
  const blob = (await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: context }))).CiphertextBlob;
  const call = operation === 'Decrypt'
    ? () => kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context }))
    : () => kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: context }));

  // Warm up sockets and JIT before measuring.
  await runFor(500, concurrency, call);
  const started = performance.now();
  const done = await runFor(seconds * 1000, concurrency, call);
  const elapsed = (performance.now() - started) / 1000;
  console.log(`${operation}: ${done} calls in ${elapsed.toFixed(1)} s at concurrency ${concurrency} = ${Math.round(done / elapsed)} calls/s`);
  kms.destroy();
  await emulator?.close();
}

async function runFor(ms: number, concurrency: number, call: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + ms;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await call();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done;
}

async function createKeyRemotely(endpoint: string): Promise<string> {
  const response = await fetch(`${endpoint}/_emulator/keys`, { method: 'POST', body: JSON.stringify({ description: 'bench' }) });
  return ((await response.json()) as { keyArn: string }).keyArn;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
