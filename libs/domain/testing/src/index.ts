export * from './given-when-then';
export * from './keyring-fixtures';
