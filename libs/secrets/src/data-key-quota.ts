import { randomUUID } from 'node:crypto';
import {
  dataKeyQuotaStream,
  decodeDataKeyQuotaEvent,
  encodeDataKeyQuotaEvent,
  quotaAllows,
  type DataKeyQuotaEvent,
  type EventMetadata,
} from '@cmk/domain';
import { ConcurrencyError, type EventStore } from '@cmk/eventstore';
import { secretsError } from './errors';

/** `CMK_MAX_DATA_KEYS_PER_ORG` default. */
export const DEFAULT_MAX_DATA_KEYS_PER_ORG = 10_000;

/** Appends that lost to another replica's before one wins: far above any real contention. */
const MAX_ATTEMPTS = 50;

interface Count {
  readonly count: number;
  readonly revision: bigint | 'no_stream';
}

/**
 * The org's data-key count against its limit, kept on `datakeyquota-<orgId>` (see
 * `@cmk/domain` `DataKeyQuotaEvent`). Reading it is one backwards read of one event; taking a
 * slot is one append with the revision read, so replicas issuing at once are serialised by the
 * store and the count never passes the limit. In one process an org's takes also queue behind
 * each other, so they do not spend attempts on each other's conflicts.
 */
export class DataKeyQuota {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: EventStore,
    readonly max: number = DEFAULT_MAX_DATA_KEYS_PER_ORG,
  ) {}

  /** The number of data keys (scopes) the org holds against its limit. */
  async count(orgId: string): Promise<number> {
    return (await this.read(orgId)).count;
  }

  /** `DATA_KEY_LIMIT_REACHED` when the org holds its maximum (checked before any KMS call). */
  async check(orgId: string): Promise<void> {
    const { count } = await this.read(orgId);
    if (!quotaAllows(count, this.max)) throw limitReached(this.max);
  }

  /** Counts `dataKeyId` against the limit, or refuses with `DATA_KEY_LIMIT_REACHED`. */
  take(orgId: string, dataKeyId: string, metadata: EventMetadata): Promise<void> {
    return this.serial(orgId, () =>
      this.append(orgId, (count) => {
        if (!quotaAllows(count, this.max)) throw limitReached(this.max);
        return { type: 'DataKeyCounted', data: { orgId, dataKeyId, count: count + 1 }, metadata };
      }),
    );
  }

  /** Gives back the slot taken for `dataKeyId`, whose issue did not happen. */
  giveBack(orgId: string, dataKeyId: string, metadata: EventMetadata): Promise<void> {
    return this.serial(orgId, () =>
      this.append(orgId, (count) => ({ type: 'DataKeyUncounted', data: { orgId, dataKeyId, count: Math.max(0, count - 1) }, metadata })),
    );
  }

  private async append(orgId: string, next: (count: number) => DataKeyQuotaEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { count, revision } = await this.read(orgId);
      const event = encodeDataKeyQuotaEvent(next(count));
      try {
        await this.store.appendToStream(dataKeyQuotaStream(orgId), [{ id: randomUUID(), ...event }], { expectedRevision: revision });
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async read(orgId: string): Promise<Count> {
    const [last] = await this.store.readStream(dataKeyQuotaStream(orgId), { direction: 'backwards', fromRevision: 'end', maxCount: 1 });
    if (!last) return { count: 0, revision: 'no_stream' };
    return { count: decodeDataKeyQuotaEvent(last).data.count, revision: last.revision };
  }

  private serial<T>(orgId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(orgId) ?? Promise.resolve();
    const result = previous.then(work, work);
    const settled = result.catch(() => undefined);
    this.queues.set(orgId, settled);
    void settled.then(() => {
      if (this.queues.get(orgId) === settled) this.queues.delete(orgId);
    });
    return result;
  }
}

function limitReached(max: number) {
  return secretsError(
    'DATA_KEY_LIMIT_REACHED',
    `This organisation has reached its limit of ${max} data keys (one per scope): encrypt under an existing scope, or ask the operator to raise CMK_MAX_DATA_KEYS_PER_ORG`,
    { max },
  );
}
