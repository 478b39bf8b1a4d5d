export * from './free-port';
export * from './wait-for';
export * from './redis-server';
export * from './service-process';
export * from './http-client';
export * from './private-redis';
export * from './postgres-database';
export * from './tcp-proxy';
