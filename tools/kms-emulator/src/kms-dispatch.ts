import { accessKeyIdFrom, type Principal } from './credentials';
import type { EmulatorState } from './emulator-state';
import { KmsError } from './errors';
import { parseKmsInput } from './kms-input';
import { KMS_OPERATIONS, targetKeyArn } from './kms-operations';

export interface KmsRequest {
  readonly operation: string;
  readonly body: Buffer;
  readonly authorization: string | undefined;
  readonly sessionToken: string | undefined;
}

/**
 * One KMS call: authenticate, count, apply quota and faults, then run the operation. Stats are
 * recorded before quota and faults so throttled calls and the SDK's retries are all counted.
 * Kept synchronous unless latency is configured: this is the benchmark's hot path.
 */
export function handleKms(state: EmulatorState, request: KmsRequest): object | Promise<object> {
  const operation = KMS_OPERATIONS[request.operation];
  if (!operation) {
    state.stats.recordCall(request.operation, undefined, 'anonymous');
    throw recorded(state, request.operation, new KmsError('UnknownOperationException', `Operation ${request.operation} is not supported by the emulator.`));
  }
  let principal: Principal;
  try {
    principal = state.credentials.authenticate(accessKeyIdFrom(request.authorization), request.sessionToken);
  } catch (error) {
    state.stats.recordCall(request.operation, undefined, 'anonymous');
    throw recorded(state, request.operation, error);
  }
  try {
    const input = parseKmsInput(request.body);
    const keyArn = targetKeyArn(input, state.store);
    state.stats.recordCall(request.operation, keyArn, principal.kind === 'admin' ? 'admin' : principal.roleArn);
    const purpose = contextPurpose(input);
    if (purpose !== undefined) state.stats.recordPurpose(purpose, request.operation, keyArn);
    if (!state.quota.tryTake(state.options.accountId)) throw new KmsError('ThrottlingException', 'Rate exceeded');
    const fault = state.faults.apply(request.operation, keyArn);
    const latencyMs = state.latencyMs + (fault?.latencyMs ?? 0);
    const run = (): object => {
      if (fault?.error) throw new KmsError(fault.error, injectedMessage(fault.error));
      const redirected = fault?.redirectKeyArn !== undefined && typeof input.KeyId === 'string' ? { ...input, KeyId: fault.redirectKeyArn } : input;
      const output = operation(redirected, { store: state.store, roles: state.roles, principal });
      return fault?.corruptCiphertext ? corrupted(output) : output;
    };
    if (latencyMs <= 0) return run();
    return delay(latencyMs).then(run).catch((error: unknown) => {
      throw recorded(state, request.operation, error);
    });
  } catch (error) {
    throw recorded(state, request.operation, error);
  }
}

function contextPurpose(input: Readonly<Record<string, unknown>>): string | undefined {
  const context = input.EncryptionContext;
  if (typeof context !== 'object' || context === null) return undefined;
  const purpose = (context as Record<string, unknown>).purpose;
  return typeof purpose === 'string' ? purpose : undefined;
}

/** The answer with the last byte of its `CiphertextBlob` changed (a damaged wrap fault). */
function corrupted(output: object): object {
  const blob = (output as { CiphertextBlob?: unknown }).CiphertextBlob;
  if (typeof blob !== 'string') return output;
  const bytes = Buffer.from(blob, 'base64');
  bytes[bytes.length - 1] ^= 0x01;
  return { ...output, CiphertextBlob: bytes.toString('base64') };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function recorded(state: EmulatorState, operation: string, error: unknown): unknown {
  if (error instanceof KmsError) state.stats.recordError(operation, error.errorName);
  return error;
}

function injectedMessage(name: string): string {
  return name === 'ThrottlingException' ? 'Rate exceeded' : `Injected fault: ${name}`;
}
