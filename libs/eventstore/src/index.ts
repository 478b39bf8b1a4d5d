// The port (types, errors, positions) is its own entry point, @cmk/eventstore/port, which the
// application layer depends on; this entry point adds the adapters.
export * from '@cmk/eventstore/port';
export * from './sqlite';
export * from './esdb';
export * from './postgres';
