import { timingSafeEqual } from 'node:crypto';
import { ApplicationError, handleCommand, stateOf } from '@cmk/application';
import { dataKeyCodec, dataKeyDecider, dataKeyStream, DomainError, PLATFORM_KEY_ID, type DataKeyState, type KeyringState } from '@cmk/domain';
import { ConcurrencyError, readStreams, type EventStore, type RecordedEvent } from '@cmk/eventstore';
import {
  generationOfKekRef,
  isRetryableKmsError,
  providerRequestFor,
  type EncryptionContext,
  type KeyEncryptionProvider,
  type ProviderRequest,
  type WrappedDataKey,
} from '@cmk/key-providers';
import type { RewrapCheck } from './config';
import type { FleetMetrics } from './fleet-metrics';
import { meteredKmsCall, type KmsRateLimiter } from './kms-rate-limiter';
import type { BatchJobData, RunKeys } from './payloads';
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
  /** How a new wrapped form is checked before it is appended. Default `key-arn`. */
  readonly rewrapCheck?: RewrapCheck;
}

/** Recorded for a data key whose new wrapped form failed its check: it stays under its old key. */
export const REWRAP_CHECK_CODE = 'REWRAP_CHECK_FAILED';

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
export async function rewrapBatch(deps: BatchDependencies, job: BatchJobData, keyring: KeyringState, keys: RunKeys, jobId: string): Promise<BatchResult> {
  const outcomes: KeyOutcome[] = [];
  const transient: { dataKeyId: string; error: string }[] = [];
  const targetRequest = providerRequestFor(keyring, job.orgId, keys.to);
  const target = deps.providers.providerFor(targetRequest);
  // What a correct wrap reports as its key: the ring's destination key ARN (a CMK), an org
  // platform key generation (the platform key). Never what the provider says about itself.
  const expected = keys.to === PLATFORM_KEY_ID ? undefined : (targetRequest.resolvedKeyArn ?? target.kekRef);
  let next = 0;
  // Every key's stream in one store read (one query on PostgreSQL), not one round trip per key.
  const reads = await readStreams(deps.store, job.dataKeyIds.map(dataKeyStream));
  const lane = async (): Promise<void> => {
    while (next < job.dataKeyIds.length) {
      const i = next++;
      const dataKeyId = job.dataKeyIds[i];
      try {
        outcomes.push(await rewrapOne(deps, job, keyring, keys, { provider: target, expected }, dataKeyId, jobId, reads[i]));
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
  keys: RunKeys,
  destination: { readonly provider: KeyEncryptionProvider; readonly expected: string | undefined },
  dataKeyId: string,
  jobId: string,
  read: readonly RecordedEvent[],
): Promise<KeyOutcome> {
  const stream = dataKeyStream(dataKeyId);
  const { state, recorded } = stateOf(read, dataKeyDecider, dataKeyCodec);
  if (state.status !== 'issued') return { dataKeyId, outcome: 'failed', code: 'DATA_KEY_NOT_FOUND' };
  // A data key of another organisation is not this run's (and its ring's providers cannot open it).
  if (state.orgId !== job.orgId) return { dataKeyId, outcome: 'failed', code: 'DATA_KEY_NOT_FOUND' };
  if (!keys.from.includes(state.wrappedBy)) return settled(state, dataKeyId, job.reencryptionId);

  const context: EncryptionContext = { org: job.orgId, dataKey: dataKeyId };
  const source = deps.providers.providerFor(providerRequestFor(keyring, job.orgId, state.wrappedBy, state.kekRef));
  const plaintext = await meteredKmsCall(deps, source, 'Decrypt', () => source.unwrap(Buffer.from(state.wrapped, 'base64'), context));
  const target = destination.provider;
  let wrapped;
  try {
    wrapped = await meteredKmsCall(deps, target, 'Encrypt', () => target.wrap(plaintext, context));
    if (!(await wrapChecks(deps, destination, plaintext, wrapped, context))) {
      deps.metrics.failed(REWRAP_CHECK_CODE);
      return { dataKeyId, outcome: 'failed', code: REWRAP_CHECK_CODE };
    }
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
      data: { orgId: job.orgId, dataKeyId, reencryptionId: job.reencryptionId, sources: [...keys.from], to: keys.to, kekRef: wrapped.kekRef, wrapped: wrapped.wrapped.toString('base64') },
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

/**
 * Whether a new wrapped form may be appended. Always: the key it reports (KMS's `KeyId`) is the
 * key ring's destination (an org platform key generation for the platform key). With `decrypt`:
 * it also unwraps under the destination key, with the same context, to exactly the plaintext
 * (compared in constant time). A transient failure of the check (throttling, outage) throws, so
 * the batch is retried; any other failure is a failed check.
 */
export async function wrapChecks(
  deps: BatchDependencies,
  destination: { readonly provider: KeyEncryptionProvider; readonly expected: string | undefined },
  plaintext: Buffer,
  wrapped: WrappedDataKey,
  context: EncryptionContext,
): Promise<boolean> {
  const keyMatches = destination.expected === undefined ? generationOfKekRef(wrapped.kekRef) !== undefined : wrapped.kekRef === destination.expected;
  if (!keyMatches) return false;
  if (deps.rewrapCheck !== 'decrypt') return true;
  let opened: Buffer;
  try {
    opened = await meteredKmsCall(deps, destination.provider, 'Decrypt', () => destination.provider.unwrap(wrapped.wrapped, context));
  } catch (error) {
    if (failureCode(error) === undefined) throw error;
    return false;
  }
  try {
    return opened.length === plaintext.length && timingSafeEqual(opened, plaintext);
  } finally {
    opened.fill(0);
  }
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
