import { join } from 'node:path';
import { keyringCodec, keyringDecider, keyringStream, type KeyringState } from '@cmk/domain';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { handleCommand, readState } from '@cmk/application';

/**
 * Finishes a re-encryption the way the worker will: through the domain's own command path on
 * the same event store file the api uses (SQLite is safe across processes). Tests only; there
 * is no public endpoint for it.
 */
export class KeyringTestHelper {
  private constructor(private readonly store: EventStore) {}

  /** `source`: the SQLite data directory, or an open client of the apps' event store. */
  static async open(source: string | EventStore): Promise<KeyringTestHelper> {
    return new KeyringTestHelper(typeof source === 'string' ? await openSqliteEventStore({ path: join(source, 'events.sqlite') }) : source);
  }

  async state(orgId: string): Promise<KeyringState> {
    return (await readState(this.store, keyringStream(orgId), keyringDecider, keyringCodec)).state;
  }

  async completeRun(orgId: string, reencryptionId: string): Promise<void> {
    const metadata = { actor: 'system', requestId: `test-${reencryptionId}`, correlationId: reencryptionId, causationId: reencryptionId, occurredAt: new Date().toISOString() };
    await handleCommand(this.store, keyringStream(orgId), keyringDecider, keyringCodec, { type: 'CompleteReencryption', data: { orgId, reencryptionId, rewrapped: 0, failed: 0 }, metadata });
  }

  async events(orgId: string) {
    return (await this.store.readStream(keyringStream(orgId))).map((e) => keyringCodec.decode(e));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
