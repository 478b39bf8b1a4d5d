export * from './shared/streams';
export * from './shared/metadata';
export * from './shared/domain-error';
export * from './keyring/events';
export * from './org/events';
export * from './datakey/events';
