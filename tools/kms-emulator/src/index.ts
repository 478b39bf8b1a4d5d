export { startKmsEmulator, type KmsEmulator } from './kms-emulator';
export { DEFAULT_ADMIN_CREDENTIALS, type AdminCredentials, type KmsEmulatorOptions } from './options';
export type { RoleDefinition, TrustPolicy, PolicyStatement } from './roles';
export type { FaultSpec, Fault } from './faults';
export type { CreatedKey, KeyState } from './key-store';
export type { StatsSnapshot } from './stats';
export type { HealthReport, StsOutage } from './emulator-state';
export { KMS_ERROR_STATUS, type KmsErrorName } from './errors';
