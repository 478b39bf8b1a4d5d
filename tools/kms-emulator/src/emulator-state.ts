import { CredentialStore } from './credentials';
import { ControlError, KmsError } from './errors';
import { FaultInjector, type Fault, type FaultSpec } from './faults';
import { JwksCache } from './jwks-cache';
import { KEY_STATES, KeyStore, type CreatedKey, type KeyState } from './key-store';
import type { ResolvedOptions } from './options';
import { RequestQuota } from './quota';
import { RoleRegistry, type RoleDefinition } from './roles';
import type { StsContext } from './sts-handler';
import { Stats, type StatsSnapshot } from './stats';

/**
 * STS failing for reasons that are not the customer's decision: `unavailable` answers
 * InternalFailure (HTTP 500, what an STS outage looks like to the SDK), `idp-unreachable` answers
 * IDPCommunicationError (STS could not fetch our issuer's keys).
 */
export type StsOutage = 'unavailable' | 'idp-unreachable';
export const STS_OUTAGES: readonly StsOutage[] = ['unavailable', 'idp-unreachable'];

export interface HealthReport {
  readonly status: 'ok';
  readonly accountId: string;
  readonly region: string;
  readonly quotaPerSecond: number | null;
  readonly latencyMs: number;
  readonly faults: number;
}

/**
 * Everything the emulator holds in memory, and the control operations on it. The HTTP control
 * API and the in-process handle both call these methods, so they cannot drift apart.
 */
export class EmulatorState {
  readonly store: KeyStore;
  readonly roles = new RoleRegistry();
  readonly credentials: CredentialStore;
  readonly jwks: JwksCache;
  readonly faults = new FaultInjector();
  readonly quota: RequestQuota;
  readonly stats = new Stats();
  latencyMs: number;
  /** While set, every STS call fails this way (see {@link setStsOutage}). */
  stsOutage: StsOutage | undefined;
  private readonly sts: StsContext;

  constructor(readonly options: ResolvedOptions) {
    this.store = new KeyStore(options.accountId, options.region, options.now);
    this.credentials = new CredentialStore(options.adminCredentials, options.accountId, options.now);
    this.jwks = new JwksCache(options.jwksCacheTtlMs, options.idpTimeoutMs);
    this.quota = new RequestQuota(options.quotaPerSecond);
    this.latencyMs = options.latencyMs;
    this.sts = { accountId: options.accountId, roles: this.roles, credentials: this.credentials, jwks: this.jwks, now: options.now };
    for (const role of options.roles) this.registerRole(role);
  }

  stsContext(): StsContext {
    return this.sts;
  }

  registerRole(definition: RoleDefinition): { roleArn: string } {
    return { roleArn: this.roles.put(definition).roleArn };
  }

  createKey(input: { alias?: string; description?: string } = {}): CreatedKey {
    if (input.alias !== undefined && typeof input.alias !== 'string') throw new ControlError('INVALID_ALIAS', 'alias must be a string');
    if (input.description !== undefined && typeof input.description !== 'string') throw new ControlError('INVALID_DESCRIPTION', 'description must be a string');
    return asControlError(() => this.store.create(input));
  }

  /** Sets a key's state directly (no KMS state-machine rules), by key id, ARN or alias. */
  setKeyState(keyRef: string, state: KeyState): { keyArn: string; state: KeyState } {
    if (!KEY_STATES.includes(state)) throw new ControlError('INVALID_STATE', `state must be one of ${KEY_STATES.join(', ')}`);
    const key = asControlError(() => this.store.setState(keyRef, state));
    return { keyArn: key.arn, state: key.state };
  }

  /** Adds a fault; a `keyArn` given as an alias is resolved now, as calls are matched by key. */
  addFault(spec: FaultSpec): Fault {
    const keyArn = spec.keyArn === undefined || spec.keyArn === '*' ? spec.keyArn : (this.store.tryResolve(spec.keyArn)?.arn ?? spec.keyArn);
    return this.faults.add({ ...spec, keyArn: keyArn === '*' ? undefined : keyArn });
  }

  clearFaults(): void {
    this.faults.clear();
  }

  getStats(): StatsSnapshot {
    return this.stats.snapshot();
  }

  resetStats(): void {
    this.stats.reset();
  }

  /** Requests per second per account; `undefined` (or null over HTTP) switches the quota off. */
  setQuota(perSecond: number | undefined): void {
    try {
      this.quota.set(perSecond);
    } catch (error) {
      throw new ControlError('INVALID_QUOTA', error instanceof Error ? error.message : String(error));
    }
  }

  setLatency(latencyMs: number): void {
    if (!(typeof latencyMs === 'number' && latencyMs >= 0)) throw new ControlError('INVALID_LATENCY', 'latencyMs must be a non-negative number');
    this.latencyMs = latencyMs;
  }

  /** Makes every STS call fail with `outage` until called again with `undefined`. */
  setStsOutage(outage: StsOutage | undefined): { outage: StsOutage | null } {
    if (outage !== undefined && !STS_OUTAGES.includes(outage)) throw new ControlError('INVALID_OUTAGE', `outage must be one of ${STS_OUTAGES.join(', ')} or null`);
    this.stsOutage = outage;
    return { outage: outage ?? null };
  }

  health(): HealthReport {
    return {
      status: 'ok',
      accountId: this.options.accountId,
      region: this.options.region,
      quotaPerSecond: this.quota.current ?? null,
      latencyMs: this.latencyMs,
      faults: this.faults.list().length,
    };
  }
}

function asControlError<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof KmsError) throw new ControlError(error.errorName === 'NotFoundException' ? 'KEY_NOT_FOUND' : error.errorName, error.message, error.errorName === 'NotFoundException' ? 404 : 400);
    throw error;
  }
}
