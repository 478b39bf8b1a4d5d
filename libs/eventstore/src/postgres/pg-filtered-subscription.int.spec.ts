import { PostgresTestDatabase } from '@cmk/testing';
import { boundedScanCases } from '@cmk/eventstore/testing';
import { openPostgresEventStore } from './index';

// The server filters a subscription's rows in its query, with bounded scans.
describe('PostgreSQL event store: filtered subscriptions', () => {
  let database: PostgresTestDatabase;
  beforeEach(async () => {
    database = await PostgresTestDatabase.create('filtered');
  });
  afterEach(() => database.drop());

  boundedScanCases((paging) => openPostgresEventStore({ url: database.url, ...paging }));
});
