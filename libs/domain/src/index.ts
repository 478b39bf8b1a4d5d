// Shared building blocks
export * from './shared/streams';
export * from './shared/metadata';
export * from './shared/domain-error';
export * from './shared/assert-never';
export * from './shared/arn';
export * from './shared/org-login';
export * from './shared/json';
export * from './shared/codec';
export * from './shared/decider';

// Key ring (stream keyring-<orgId>). Each aggregate's initialState/evolve/decide are exported as
// one `Decider` object (and its events' codec as one `EventCodec`) for the generic command path.
export * from './keyring/events';
export * from './keyring/commands';
export {
  findKey,
  isUnderReencryption,
  type KeyStatus,
  type KeyEntry,
  type ReencryptionRun,
  type FinishedRun,
  type RunOutcome,
  type KeyringState,
} from './keyring/state';
export { keyringDecider } from './keyring/decide';
export { KEY_NAME_MAX_LENGTH, normaliseKeyName, isUsableTarget, standInKeyArn } from './keyring/rules';
export * from './keyring/queries';
export * from './keyring/codec';

// Organisation (stream org-<orgId>)
export * from './org/events';
export * from './org/commands';
export { initialState as initialOrgState, activeToken, type AccessTokenEntry, type OrgState } from './org/state';
export { orgDecider } from './org/decide';
export * from './org/codec';

// Data keys (stream datakey-<dataKeyId>)
export * from './datakey/events';
export * from './datakey/commands';
export { currentWrapping, type Wrapping, type DataKeyState } from './datakey/state';
export { dataKeyDecider } from './datakey/decide';
export * from './datakey/codec';
export { retiresAt, isSpent, encryptsAt, type DataKeyUsePolicy } from './datakey/rules';
export * from './datakey/quota';

// Key health (stream keyhealth-<orgId>): declared states of customer keys, from canary probes
export * from './keyhealth/events';
export * from './keyhealth/commands';
export { type KeyHealthState } from './keyhealth/state';
export { keyHealthDecider } from './keyhealth/decide';
export * from './keyhealth/codec';
export * from './keyhealth/assess';

// Webhooks (stream webhooks-<orgId>)
export * from './webhook/events';
export * from './webhook/commands';
export { hookOf, subscribersOf, type WebhookEntry, type WebhooksState } from './webhook/state';
export { webhooksDecider } from './webhook/decide';
export * from './webhook/codec';
