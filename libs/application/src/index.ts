export * from './command-path';
export * from './state-reader';
export * from './application-error';
export * from './key-verifier';
