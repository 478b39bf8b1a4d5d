export * from './events';
export * from './decode';
export * from './harness';
export * from './redis-dump';
export * from './reference';
export * from './scenario';
