export * from './config';
export * from './event-store';
export * from './redis';
export * from './store-identity';
export * from './redis-ownership';
export * from './startup';
export * from './logging';
