export { PostgresEventStore, openPostgresEventStore, type PostgresEventStoreOptions } from './pg-event-store';
export { PG_SCHEMA_VERSION, SchemaTooNewError } from './pg-schema';
export { isTransientPgError, withRetries, type RetryOptions } from './pg-errors';
