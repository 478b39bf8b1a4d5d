import { ContractContext, type EventStoreFactory } from './contract-context';
import { describeAppends } from './contract-appends';
import { describeIdempotency } from './contract-idempotency';
import { describeReads } from './contract-reads';
import { describeSubscriptions } from './contract-subscriptions';
import { describeConcurrency } from './contract-concurrency';

/**
 * The behaviour every `EventStore` adapter must show, as Jest `describe` blocks. Call it from an
 * adapter's `*.int.spec.ts`:
 *
 * ```ts
 * eventStoreContract('sqlite', async () => {
 *   const store = await openSqliteEventStore({ path });
 *   return { store, other: () => openSqliteEventStore({ path }), cleanup: () => store.close() };
 * });
 * ```
 *
 * The factory runs once (in `beforeAll`). Every test writes only streams under its own random
 * prefix and reads `$all` from positions it captured, so the suite also runs against a shared,
 * long-lived store (a real EventStoreDB) that other tests write to at the same time.
 */
export function eventStoreContract(name: string, factory: EventStoreFactory): void {
  describe(`EventStore contract: ${name}`, () => {
    const context = new ContractContext(factory);
    beforeAll(() => context.start());
    afterAll(() => context.stop());

    describeAppends(context);
    describeIdempotency(context);
    describeReads(context);
    describeSubscriptions(context);
    describeConcurrency(context);
  });
}
