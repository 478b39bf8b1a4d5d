import { performance } from 'node:perf_hooks';
import { parseKeyArn } from '@cmk/domain';
import type { KeyEncryptionProvider } from '@cmk/key-providers';
import type { FleetMetrics } from './fleet-metrics';
import type { KmsRateLimiter } from './kms-rate-limiter';

/**
 * One KMS call of a batch: held back by the fleet-wide per-account rate limiter, then timed and
 * counted in the fleet metrics. The local platform key makes no KMS call and is not limited.
 */
export async function meteredKmsCall<T>(
  deps: { readonly limiter: KmsRateLimiter; readonly metrics: FleetMetrics },
  provider: KeyEncryptionProvider,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  const account = kmsAccountOf(provider);
  if (account === undefined) return call(); // the local platform key: no KMS, no quota
  await deps.limiter.acquire(account);
  const started = performance.now();
  try {
    const out = await call();
    deps.metrics.kmsCall(operation, (performance.now() - started) / 1000, true);
    return out;
  } catch (error) {
    deps.metrics.kmsCall(operation, (performance.now() - started) / 1000, false);
    throw error;
  }
}

/** The AWS account a provider's KMS calls count against; undefined for the local platform key. */
export function kmsAccountOf(provider: KeyEncryptionProvider): string | undefined {
  const parts = parseKeyArn(provider.kekRef);
  return parts ? `${parts.accountId}-${parts.region}` : undefined;
}
