import { startKmsEmulator } from './kms-emulator';
import { DEFAULT_ADMIN_CREDENTIALS, type KmsEmulatorOptions } from './options';

/**
 * CLI entry: configuration comes from the environment, read and validated once here.
 * KMS_EMULATOR_PORT (4566), KMS_EMULATOR_HOST (127.0.0.1), KMS_EMULATOR_ACCOUNT_ID,
 * KMS_EMULATOR_REGION, KMS_EMULATOR_ADMIN_ACCESS_KEY_ID, KMS_EMULATOR_ADMIN_SECRET_ACCESS_KEY,
 * KMS_EMULATOR_QUOTA_PER_SECOND (off), KMS_EMULATOR_LATENCY_MS (0).
 */
function readOptions(env: NodeJS.ProcessEnv): KmsEmulatorOptions {
  return {
    port: integer(env.KMS_EMULATOR_PORT, 'KMS_EMULATOR_PORT') ?? 4566,
    host: env.KMS_EMULATOR_HOST ?? '127.0.0.1',
    accountId: env.KMS_EMULATOR_ACCOUNT_ID,
    region: env.KMS_EMULATOR_REGION,
    adminCredentials: {
      accessKeyId: env.KMS_EMULATOR_ADMIN_ACCESS_KEY_ID ?? DEFAULT_ADMIN_CREDENTIALS.accessKeyId,
      secretAccessKey: env.KMS_EMULATOR_ADMIN_SECRET_ACCESS_KEY ?? DEFAULT_ADMIN_CREDENTIALS.secretAccessKey,
    },
    // 0 means no quota, like leaving it unset.
    quotaPerSecond: integer(env.KMS_EMULATOR_QUOTA_PER_SECOND, 'KMS_EMULATOR_QUOTA_PER_SECOND') || undefined,
    latencyMs: integer(env.KMS_EMULATOR_LATENCY_MS, 'KMS_EMULATOR_LATENCY_MS'),
  };
}

function integer(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const emulator = await startKmsEmulator(readOptions(process.env));
  // The admin key id is not a secret (signatures are never verified); the secret is not printed.
  console.log(`kms-emulator listening on ${emulator.url} (account ${emulator.accountId}, region ${emulator.region}, admin key id ${emulator.adminCredentials.accessKeyId})`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`kms-emulator failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
