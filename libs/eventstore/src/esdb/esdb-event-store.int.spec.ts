import { startEsdbEmulator } from '@cmk/esdb-emulator';
import { eventStoreContract } from '@cmk/eventstore/testing';
import { openEsdbEventStore, readEventStoreUrl } from './index';

// The shared contract, run through the official client against the in-memory gRPC emulator...
eventStoreContract('EventStoreDB adapter (esdb-emulator)', async () => {
  const emulator = await startEsdbEmulator();
  const store = await openEsdbEventStore({ url: emulator.url });
  return {
    store,
    other: () => openEsdbEventStore({ url: emulator.url }),
    cleanup: async () => {
      await store.close();
      await emulator.close();
    },
  };
});

// ...and against a real EventStoreDB / KurrentDB when one is configured.
const realServerUrl = readEventStoreUrl();
if (realServerUrl) {
  eventStoreContract(`EventStoreDB adapter (real server)`, async () => {
    const store = await openEsdbEventStore({ url: realServerUrl });
    return { store, other: () => openEsdbEventStore({ url: realServerUrl }), cleanup: () => store.close() };
  });
} else {
  describe('EventStoreDB adapter (real server)', () => {
    it('runs only when EVENTSTORE_URL is set', () => {
      console.log('EventStoreDB contract against a real server skipped: EVENTSTORE_URL is not set (e.g. esdb://127.0.0.1:2113?tls=false).');
      expect(process.env['EVENTSTORE_URL'] ?? '').toBe('');
    });
  });
}
