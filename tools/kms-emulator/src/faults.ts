import { randomUUID } from 'node:crypto';
import { ControlError, isKmsErrorName, type KmsErrorName } from './errors';

/** A fault to inject into matching KMS calls (`POST /_emulator/faults`). */
export interface FaultSpec {
  /** KMS operation name such as `Decrypt`. Default: every operation. */
  readonly operation?: string;
  /** Key ARN the call resolves to (aliases are resolved first). Default: every key. */
  readonly keyArn?: string;
  /** Exception name to answer with, e.g. `ThrottlingException`. Default: none (latency only). */
  readonly error?: KmsErrorName;
  /** Probability 0..1 that a matching call is affected. Default 1. */
  readonly rate?: number;
  /** Latency added to affected calls, in ms. Default 0. */
  readonly latencyMs?: number;
  /** How many calls to affect before the fault removes itself. Default: unlimited. */
  readonly count?: number;
  /**
   * A wrong wrap: the call runs as if its `KeyId` were this key (as a repointed alias or a
   * misrouted call would), so the answer is made under, and names, this key. Default: none.
   */
  readonly redirectKeyArn?: string;
  /** A damaged wrap: the answer's `CiphertextBlob` has its last byte changed. Default false. */
  readonly corruptCiphertext?: boolean;
}

export interface Fault extends FaultSpec {
  readonly id: string;
  /** Calls still to affect; undefined means unlimited. */
  remaining: number | undefined;
}

export interface FaultEffect {
  readonly latencyMs: number;
  readonly error: KmsErrorName | undefined;
  readonly redirectKeyArn?: string;
  readonly corruptCiphertext?: boolean;
}

/** Faults in the order they were added; every matching fault applies, the first error wins. */
export class FaultInjector {
  private faults: Fault[] = [];

  add(spec: FaultSpec): Fault {
    validate(spec);
    const fault: Fault = { ...spec, id: randomUUID(), remaining: spec.count };
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  /** Consumes the faults that hit this call; undefined when none did (the common case). */
  apply(operation: string, keyArn: string | undefined): FaultEffect | undefined {
    if (this.faults.length === 0) return undefined;
    let latencyMs = 0;
    let error: KmsErrorName | undefined;
    let redirectKeyArn: string | undefined;
    let corruptCiphertext = false;
    let hit = false;
    for (const fault of this.faults) {
      if (fault.operation !== undefined && fault.operation !== operation) continue;
      if (fault.keyArn !== undefined && fault.keyArn !== keyArn) continue;
      if (fault.rate !== undefined && Math.random() >= fault.rate) continue;
      hit = true;
      latencyMs += fault.latencyMs ?? 0;
      error ??= fault.error;
      redirectKeyArn ??= fault.redirectKeyArn;
      corruptCiphertext ||= fault.corruptCiphertext === true;
      if (fault.remaining !== undefined) fault.remaining -= 1;
    }
    if (!hit) return undefined;
    this.faults = this.faults.filter((f) => f.remaining === undefined || f.remaining > 0);
    return { latencyMs, error, redirectKeyArn, corruptCiphertext };
  }
}

function validate(spec: FaultSpec): void {
  if (spec.error !== undefined && !isKmsErrorName(spec.error)) throw new ControlError('UNKNOWN_ERROR_NAME', `Unknown KMS error name "${String(spec.error)}"`);
  if (spec.rate !== undefined && !(typeof spec.rate === 'number' && spec.rate >= 0 && spec.rate <= 1)) {
    throw new ControlError('INVALID_RATE', 'rate must be a number between 0 and 1');
  }
  if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count > 0)) {
    throw new ControlError('INVALID_COUNT', 'count must be a positive integer');
  }
  if (spec.latencyMs !== undefined && !(typeof spec.latencyMs === 'number' && spec.latencyMs >= 0)) {
    throw new ControlError('INVALID_LATENCY', 'latencyMs must be a non-negative number');
  }
  if (spec.corruptCiphertext !== undefined && typeof spec.corruptCiphertext !== 'boolean') throw new ControlError('INVALID_FAULT', 'corruptCiphertext must be a boolean');
  if (spec.error === undefined && !spec.latencyMs && spec.redirectKeyArn === undefined && !spec.corruptCiphertext) {
    throw new ControlError('EMPTY_FAULT', 'a fault needs an error, a latencyMs, a redirectKeyArn or corruptCiphertext');
  }
  for (const field of ['operation', 'keyArn', 'redirectKeyArn'] as const) {
    if (spec[field] !== undefined && typeof spec[field] !== 'string') throw new ControlError('INVALID_FAULT', `${field} must be a string`);
  }
}
