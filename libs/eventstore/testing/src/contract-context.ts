import type { EventStore } from '@cmk/eventstore';

/** What an adapter's test hands to the contract suite. */
export interface EventStoreUnderTest {
  /** The store the suite writes and reads through. `cleanup()` closes it. */
  readonly store: EventStore;
  /**
   * Opens a second, independent client of the same store (another connection, another file
   * handle): racing writers and cross-client subscriptions use it. The suite closes what it
   * opens. Without it, those tests race two calls on `store` itself.
   */
  readonly other?: () => Promise<EventStore>;
  /** Closes `store` and releases what the factory created (temp dirs, servers). */
  cleanup(): Promise<void>;
}

export type EventStoreFactory = () => Promise<EventStoreUnderTest>;

/** Holds the store for one run of the suite: created in `beforeAll`, released in `afterAll`. */
export class ContractContext {
  private underTest: EventStoreUnderTest | undefined;
  private otherStore: EventStore | undefined;

  constructor(private readonly factory: EventStoreFactory) {}

  async start(): Promise<void> {
    this.underTest = await this.factory();
  }

  get store(): EventStore {
    if (!this.underTest) throw new Error('The event store factory has not run (beforeAll failed?)');
    return this.underTest.store;
  }

  /** The second client, opened once and shared by the tests that need it. */
  async other(): Promise<EventStore> {
    if (this.otherStore) return this.otherStore;
    const open = this.underTest?.other;
    this.otherStore = open ? await open() : this.store;
    return this.otherStore;
  }

  async stop(): Promise<void> {
    const other = this.otherStore;
    this.otherStore = undefined;
    if (other && other !== this.underTest?.store) await other.close();
    await this.underTest?.cleanup();
    this.underTest = undefined;
  }
}
