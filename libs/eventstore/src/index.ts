export * from './port/position';
export * from './port/errors';
export * from './port/event-store';
export * from './sqlite';
export * from './esdb';
export * from './postgres';
