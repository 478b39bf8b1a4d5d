export * from './contract';
export * from './contract-context';
export * from './fixtures';
export * from './subscription-recorder';
export * from './sqlite/spawn-writer';
export * from './contract-bounded-scans';
