import type { AddressInfo } from 'node:net';
import { EmulatorState, type HealthReport, type StsOutage } from './emulator-state';
import type { Fault, FaultSpec } from './faults';
import type { CreatedKey, KeyState } from './key-store';
import { resolveOptions, type AdminCredentials, type KmsEmulatorOptions } from './options';
import type { RoleDefinition } from './roles';
import { createEmulatorServer } from './server';
import type { StatsSnapshot } from './stats';

/** A running emulator. The control methods mirror the `/_emulator/*` HTTP API. */
export interface KmsEmulator {
  /** Base URL to use as the SDK `endpoint` for both KMS and STS. */
  readonly url: string;
  readonly port: number;
  readonly accountId: string;
  readonly region: string;
  readonly adminCredentials: AdminCredentials;
  registerRole(definition: RoleDefinition): { roleArn: string };
  createKey(input?: { alias?: string; description?: string }): CreatedKey;
  setKeyState(keyRef: string, state: KeyState): { keyArn: string; state: KeyState };
  addFault(spec: FaultSpec): Fault;
  clearFaults(): void;
  stats(): StatsSnapshot;
  resetStats(): void;
  /** Requests per second per account; `undefined` switches the quota off. */
  setQuota(perSecond: number | undefined): void;
  setLatency(latencyMs: number): void;
  /** Every STS call fails (`unavailable`: HTTP 500; `idp-unreachable`: IDPCommunicationError) until set back to `undefined`. */
  setStsOutage(outage: StsOutage | undefined): void;
  health(): HealthReport;
  /** Stops listening and drops idle keep-alive connections. */
  close(): Promise<void>;
}

export async function startKmsEmulator(options: KmsEmulatorOptions = {}): Promise<KmsEmulator> {
  const resolved = resolveOptions(options);
  const state = new EmulatorState(resolved);
  const server = createEmulatorServer(state);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = resolved.host === '0.0.0.0' || resolved.host === '::' ? '127.0.0.1' : resolved.host;
  return {
    url: `http://${host}:${port}`,
    port,
    accountId: resolved.accountId,
    region: resolved.region,
    adminCredentials: resolved.adminCredentials,
    registerRole: (definition) => state.registerRole(definition),
    createKey: (input) => state.createKey(input),
    setKeyState: (keyRef, keyState) => state.setKeyState(keyRef, keyState),
    addFault: (spec) => state.addFault(spec),
    clearFaults: () => state.clearFaults(),
    stats: () => state.getStats(),
    resetStats: () => state.resetStats(),
    setQuota: (perSecond) => state.setQuota(perSecond),
    setLatency: (latencyMs) => state.setLatency(latencyMs),
    setStsOutage: (outage) => void state.setStsOutage(outage),
    health: () => state.health(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
