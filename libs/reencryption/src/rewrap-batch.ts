import { ApplicationError, handleCommand, stateOf } from '@cmk/application';
import { dataKeyCodec, dataKeyDecider, dataKeyStream, DomainError, type DataKeyState, type KeyringState } from '@cmk/domain';
import { ConcurrencyError, readStreams, type EventStore, type RecordedEvent } from '@cmk/eventstore';
import { isRetryableKmsError, providerRequestFor, type EncryptionContext, type KeyEncryptionProvider, type ProviderRequest } from '@cmk/key-providers';
import type { FleetMetrics } from './fleet-metrics';
import { meteredKmsCall, type KmsRateLimiter } from './kms-rate-limiter';
import type { BatchJobData } from './payloads';
import type { KeyOutcome } from './run-progress';
import { systemMetadata } from './run-keyring';

/** What the fleet needs from the key providers (the registry fits; tests may pass their own). */
export interface ProviderSource {
  providerFor(request: ProviderRequest): KeyEncryptionProvider;
}

export interface BatchDependencies {
  readonly store: EventStore;
  readonly providers: ProviderSource;
  readonly limiter: KmsRateLimiter;
  readonly metrics: FleetMetrics;
  /** KMS calls (data keys) in flight inside one batch. */
  readonly concurrency: number;
}

export interface BatchResult {
  readonly outcomes: KeyOutcome[];
  /** Keys that hit a transient failure (throttling past retries, outage, lost race): retry the batch. */
  readonly transient: { readonly dataKeyId: string; readonly error: string }[];
}

/**
 * Rewraps one batch: every key is re-read from its stream (the batch's streams in one store read)
 * and skipped when it is already off the sources (so a replayed batch costs reads, not KMS calls), unwrapped under its current key,
 * wrapped under the target with the `{org, dataKey}` context, and appended with the expected
 * revision (a lost race re-reads and decides again in `handleCommand`). Keys run concurrently,
 * bounded by `concurrency`; one key's failure never stops the others.
 */
export async function rewrapBatch(deps: BatchDependencies, job: BatchJobData, keyring: KeyringState, jobId: string): Promise<BatchResult> {
  const outcomes: KeyOutcome[] = [];
  const transient: { dataKeyId: string; error: string }[] = [];
  const target = deps.providers.providerFor(providerRequestFor(keyring, job.orgId, job.to));
  let next = 0;
  // Every key's stream in one store read (one query on PostgreSQL), not one round trip per key.
  const reads = await readStreams(deps.store, job.dataKeyIds.map(dataKeyStream));
  const lane = async (): Promise<void> => {
    while (next < job.dataKeyIds.length) {
      const i = next++;
      const dataKeyId = job.dataKeyIds[i];
      try {
        outcomes.push(await rewrapOne(deps, job, keyring, target, dataKeyId, jobId, reads[i]));
      } catch (error) {
        const code = failureCode(error);
        if (code === undefined) transient.push({ dataKeyId, error: error instanceof Error ? error.message : String(error) });
        else {
          outcomes.push({ dataKeyId, outcome: 'failed', code });
          deps.metrics.failed(code);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, job.dataKeyIds.length) }, lane));
  return { outcomes, transient };
}

async function rewrapOne(
  deps: BatchDependencies,
  job: BatchJobData,
  keyring: KeyringState,
  target: KeyEncryptionProvider,
  dataKeyId: string,
  jobId: string,
  read: readonly RecordedEvent[],
): Promise<KeyOutcome> {
  const stream = dataKeyStream(dataKeyId);
  const { state, recorded } = stateOf(read, dataKeyDecider, dataKeyCodec);
  if (state.status !== 'issued') return { dataKeyId, outcome: 'failed', code: 'DATA_KEY_NOT_FOUND' };
  if (!job.from.includes(state.wrappedBy)) return settled(state, dataKeyId, job.reencryptionId);

  const context: EncryptionContext = { org: job.orgId, dataKey: dataKeyId };
  const source = deps.providers.providerFor(providerRequestFor(keyring, job.orgId, state.wrappedBy, state.kekRef));
  const plaintext = await meteredKmsCall(deps, source, 'Decrypt', () => source.unwrap(Buffer.from(state.wrapped, 'base64'), context));
  let wrapped;
  try {
    wrapped = await meteredKmsCall(deps, target, 'Encrypt', () => target.wrap(plaintext, context));
  } finally {
    plaintext.fill(0);
  }
  const result = await handleCommand(
    deps.store,
    stream,
    dataKeyDecider,
    dataKeyCodec,
    {
      type: 'RewrapDataKey',
      data: { orgId: job.orgId, dataKeyId, reencryptionId: job.reencryptionId, sources: [...job.from], to: job.to, kekRef: wrapped.kekRef, wrapped: wrapped.wrapped.toString('base64') },
      metadata: systemMetadata(job.reencryptionId, jobId),
    },
    // The stream was read (with the batch's) to decide whether to act: the first attempt decides
    // on that read (one store read per key, not two); a key moved meanwhile conflicts and is re-read.
    { maxAttempts: 10, recorded },
  );
  if (result.events.length > 0) {
    deps.metrics.rewrapped(1);
    return { dataKeyId, outcome: 'done' };
  }
  return settled(result.state, dataKeyId, job.reencryptionId);
}

/** A key already off the sources counts as done when this run moved it (an earlier attempt). */
function settled(state: DataKeyState, dataKeyId: string, reencryptionId: string): KeyOutcome {
  const mine = state.status === 'issued' && state.rewrappedBy.includes(reencryptionId);
  return mine ? { dataKeyId, outcome: 'done' } : { dataKeyId, outcome: 'skipped' };
}

/**
 * The stable code of a failure no retry fixes (recorded against the key, which stays under its
 * old key), or undefined for a transient one (throttling, outage, lost races, Redis/store I/O).
 */
export function failureCode(error: unknown): string | undefined {
  if (error instanceof ConcurrencyError) return undefined;
  if (error instanceof ApplicationError) return isRetryableKmsError(error.code) ? undefined : error.code;
  if (error instanceof DomainError) return error.code;
  return undefined;
}
