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

// Key ring (stream keyring-<orgId>). Each aggregate's initialState/evolve/decide are exported
// under aggregate-specific names and as one `Decider` object for the generic command path.
export * from './keyring/events';
export * from './keyring/commands';
export {
  initialState as initialKeyringState,
  evolve as evolveKeyring,
  findKey,
  isUnderReencryption,
  type KeyStatus,
  type KeyEntry,
  type ReencryptionRun,
  type FinishedRun,
  type RunOutcome,
  type KeyringState,
} from './keyring/state';
export { decide as decideKeyring, keyringDecider } from './keyring/decide';
export { KEY_NAME_MAX_LENGTH, normaliseKeyName, isUsableTarget, standInKeyArn } from './keyring/rules';
export * from './keyring/queries';
export * from './keyring/codec';

// Organisation (stream org-<orgId>)
export * from './org/events';
export * from './org/commands';
export { initialState as initialOrgState, evolve as evolveOrg, activeToken, type AccessTokenEntry, type OrgState } from './org/state';
export { decide as decideOrg, orgDecider } from './org/decide';
export * from './org/codec';

// Data keys (stream datakey-<dataKeyId>)
export * from './datakey/events';
export * from './datakey/commands';
export { initialState as initialDataKeyState, evolve as evolveDataKey, currentWrapping, type Wrapping, type DataKeyState } from './datakey/state';
export { decide as decideDataKey, dataKeyDecider } from './datakey/decide';
export * from './datakey/codec';
