import { PostgresTestDatabase } from '@cmk/testing';
import { eventStoreContract } from '@cmk/eventstore/testing';
import { openPostgresEventStore } from './index';

// The shared contract against the real PostgreSQL server, in a database of this run's own.
eventStoreContract('PostgreSQL', async () => {
  const database = await PostgresTestDatabase.create('contract');
  const store = await openPostgresEventStore({ url: database.url }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  return {
    store,
    other: () => openPostgresEventStore({ url: database.url }),
    cleanup: async () => {
      await store.close();
      await database.drop();
    },
  };
});
