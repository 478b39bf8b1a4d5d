/**
 * The baseline of the re-encryption benchmark: a bare AWS SDK Encrypt loop at a given
 * concurrency, in its own process like a worker (run in the bench process it would share one
 * event loop with the in-process KMS emulator and look slower than it is).
 *
 *   node reencrypt-bare-loop.js <kmsUrl> <region> <keyArn> <seconds> <concurrency>
 *
 * Prints `{"callsPerSecond": n}` on stdout.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { DEFAULT_ADMIN_CREDENTIALS } from '@cmk/kms-emulator';

async function loop(url: string, region: string, keyArn: string, seconds: number, concurrency: number): Promise<number> {
  const client = new KMSClient({ endpoint: url, region, credentials: DEFAULT_ADMIN_CREDENTIALS });
  const plaintext = randomBytes(32);
  // Warm up the connections, then measure.
  await Promise.all(Array.from({ length: concurrency }, () => client.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext }))));
  let done = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await client.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: { dataKey: 'dk', org: 'bench' } }));
        done += 1;
      }
    }),
  );
  client.destroy();
  return done / ((performance.now() - started) / 1000);
}

/** Runs the loop in a child process and resolves with its calls per second. */
export function bareEncryptLoop(url: string, region: string, keyArn: string, seconds: number, concurrency: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [url, region, keyArn, String(seconds), String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`bare loop exited with ${code}`));
      resolve((JSON.parse(out) as { callsPerSecond: number }).callsPerSecond);
    });
  });
}

if (require.main === module) {
  const [url, region, keyArn, seconds, concurrency] = process.argv.slice(2);
  loop(url, region, keyArn, Number(seconds), Number(concurrency))
    .then((callsPerSecond) => process.stdout.write(`${JSON.stringify({ callsPerSecond: Math.round(callsPerSecond) })}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
