export * from './command-path';
export * from './application-error';
export * from './key-verifier';
