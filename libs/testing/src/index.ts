export * from './free-port';
export * from './wait-for';
export * from './redis-server';
