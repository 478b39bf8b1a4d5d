import { handleCommand, readState } from '@cmk/application';
import {
  activeKeyForNewDataKeys,
  dataKeyCodec,
  dataKeyDecider,
  dataKeyStream,
  decodeDataKeyEvent,
  decodeKeyringEvent,
  isStrandedUnder,
  parseStreamName,
  STREAM_PREFIX,
  type KeyringState,
} from '@cmk/domain';
import { formatPosition, type AllSubscription, type EventStore, type RecordedEvent } from '@cmk/eventstore';
import { providerRequestFor } from '@cmk/key-providers';
import { forwardCheckpoint, type ReadModelQueries } from '@cmk/read-models';
import type { Redis } from 'ioredis';
import type { FleetLogger, OutageSink } from './dispatcher';
import { fleetKeys } from './names';
import { failureCode, type ProviderSource } from './rewrap-batch';
import { readKeyring, systemMetadata } from './run-keyring';

/**
 * The run id recorded on a `DataKeyRewrapped` made by this reactor. Not a `re-…` id, so it is
 * never counted in (or confused with) a re-encryption run.
 */
export const STRANDED_MOVE = 'stranded-move';

export interface StrandedKeyReactorOptions {
  readonly store: EventStore;
  readonly redis: Redis;
  readonly queries: ReadModelQueries;
  readonly providers: ProviderSource;
  readonly logger: FleetLogger;
  readonly outages?: OutageSink;
  /** How long a completion's sweep waits for the data-key index. Default 30 000 ms. */
  readonly indexWaitMs?: number;
  /** Key rings kept in memory (dropped whenever one of their events passes). Default 10 000. */
  readonly cachedKeyrings?: number;
}

export interface StrandedKeyReactor {
  stop(): Promise<void>;
}

/**
 * "Nothing stranded, by construction", closed by the system itself. The issuer's guard
 * (`libs/secrets/src/stranded-key-guard.ts`) moves a data key appended under a key retired
 * during its KMS call, but only while the issuing process lives. This reactor follows the
 * data-key and key-ring streams (checkpointed in Redis like the dispatcher) and moves any data
 * key that is under a key no longer allowed to hold it (`isStrandedUnder`: a disabled CMK, the
 * platform key once a customer key took over; never while a run is running or after a failed
 * run that left its keys for a retry) to the org's current key for new data keys:
 *
 * - on each `DataKeyIssued` / `DataKeyRewrapped` whose key is stranded for the key ring as it
 *   stands when the event is handled (a crashed issuer, an interleaving nobody else saw);
 * - on each `ReencryptionCompleted` / `ReencryptionFailed`, it sweeps the org's data-key index,
 *   caught up to that event, for keys that are stranded (data keys appended while the run was
 *   running, after its last check, were skipped by the first rule and are found here).
 *
 * Why nothing is missed: key-ring events come in log order with the data-key events, so the
 * in-memory key ring used to filter an event already reflects every key-ring event before it.
 * A data key appended before a run's last check is the run's; one appended after the run's
 * completion event is handled by the first rule with the run finished; one in between is in the
 * index when the completion is swept. Moves are idempotent (the decider moves a key only while
 * it is under the source), so replays and several replicas are harmless.
 */
export function startStrandedKeyReactor(options: StrandedKeyReactorOptions): StrandedKeyReactor {
  let stopped = false;
  let subscription: AllSubscription | undefined;
  const checkpoint = forwardCheckpoint(options.redis, fleetKeys.strandedCheckpoint);
  const keyrings = new KeyringCache(options.store, options.cachedKeyrings ?? 10_000);
  const loop = (async () => {
    let backoffMs = 100;
    while (!stopped) {
      try {
        const stored = await checkpoint.load();
        subscription = options.store.subscribeToAll({ fromPosition: stored ?? 'start', filter: { streamNamePrefixes: [STREAM_PREFIX.keyring, STREAM_PREFIX.datakey] } });
        if (stopped) await subscription.unsubscribe();
        let lastSaved = Date.now();
        for await (const item of subscription) {
          const acted = item.kind === 'event' ? await react(options, keyrings, item.event) : false;
          // Most events need nothing: the checkpoint moves when something was done, at most once
          // a second otherwise (a replay after a crash re-checks a second of events, harmlessly).
          if (acted || item.kind === 'caught-up' || Date.now() - lastSaved > 1_000) {
            await checkpoint.advance(item.kind === 'event' ? item.event.position : item.position);
            lastSaved = Date.now();
          }
          backoffMs = 100;
        }
      } catch (error) {
        if (stopped) break;
        keyrings.clear();
        if (!options.outages?.noticed(error, 'stranded-key reactor')) options.logger.warn(`stranded-key reactor: ${message(error)}; resubscribing in ${backoffMs} ms`);
        await subscription?.unsubscribe().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await subscription?.unsubscribe();
      await loop;
    },
  };
}

/** Handles one event; true when it moved a data key or swept an org. */
async function react(options: StrandedKeyReactorOptions, keyrings: KeyringCache, recorded: RecordedEvent): Promise<boolean> {
  const stream = parseStreamName(recorded.streamId);
  if (stream?.category === 'keyring') {
    keyrings.forget(stream.id);
    if (recorded.type !== 'ReencryptionCompleted' && recorded.type !== 'ReencryptionFailed') return false;
    const event = decoded(options, recorded, decodeKeyringEvent);
    if (!event) return false;
    const caughtUp = await options.queries.waitForCheckpoint(recorded.position, { timeoutMs: options.indexWaitMs ?? 30_000, intervalMs: 50 });
    if (!caughtUp) throw new Error(`the data-key index has not reached ${formatPosition(recorded.position)} yet`);
    await sweepOrg(options, event.data.orgId, recorded.id);
    return true;
  }
  if (stream?.category !== 'datakey') return false;
  // A use reservation changes no wrap.
  if (recorded.type !== 'DataKeyIssued' && recorded.type !== 'DataKeyRewrapped') return false;
  // Nearly every event (each key a run moves) is under a key that may hold it: that is decided on
  // the two fields it needs, and only an event that may need a move is decoded (and validated).
  const { orgId, wrappedBy, to } = recorded.data;
  const under = recorded.type === 'DataKeyIssued' ? wrappedBy : to;
  if (typeof orgId === 'string' && typeof under === 'string' && !isStrandedUnder(await keyrings.get(orgId), under)) return false;
  const event = decoded(options, recorded, decodeDataKeyEvent);
  if (!event || event.type === 'DataKeyUseReserved') return false;
  const wrappingKey = event.type === 'DataKeyIssued' ? event.data.wrappedBy : event.data.to;
  if (!isStrandedUnder(await keyrings.get(event.data.orgId), wrappingKey)) return false;
  return (await settle(options, event.data.orgId, event.data.dataKeyId, recorded.id)) === 'moved';
}

/** Every data key of the org under a stranded key, from the index. */
async function sweepOrg(options: StrandedKeyReactorOptions, orgId: string, causationId: string): Promise<void> {
  const keyring = await readKeyring(options.store, orgId);
  const counts = await options.queries.countsByWrappingKey(orgId);
  for (const [wrappingKeyId, count] of Object.entries(counts)) {
    if (count === 0 || !isStrandedUnder(keyring, wrappingKeyId)) continue;
    let cursor: string | undefined;
    do {
      const page = await options.queries.listDataKeys(orgId, wrappingKeyId, { cursor, limit: 1_000 });
      for (const dataKeyId of page.ids) await settle(options, orgId, dataKeyId, causationId);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
}

/**
 * Moves one data key to the org's current key if, read fresh, it is stranded. A failure no retry
 * fixes (the customer revoked the old key's access, a destroyed platform generation) is logged
 * and left; a transient one throws, and the event is handled again after resubscribing.
 */
async function settle(options: StrandedKeyReactorOptions, orgId: string, dataKeyId: string, causationId: string): Promise<'moved' | 'left'> {
  const { store, providers } = options;
  const keyring = await readKeyring(store, orgId);
  const stream = dataKeyStream(dataKeyId);
  const { state, recorded } = await readState(store, stream, dataKeyDecider, dataKeyCodec);
  if (state.status !== 'issued' || state.orgId !== orgId || !isStrandedUnder(keyring, state.wrappedBy)) return 'left';
  const to = activeKeyForNewDataKeys(keyring);
  const context = { org: orgId, dataKey: dataKeyId };
  try {
    const source = providers.providerFor(providerRequestFor(keyring, orgId, state.wrappedBy, state.kekRef));
    const target = providers.providerFor(providerRequestFor(keyring, orgId, to));
    const plaintext = await source.unwrap(Buffer.from(state.wrapped, 'base64'), context);
    let wrapped;
    try {
      wrapped = await target.wrap(plaintext, context);
    } finally {
      plaintext.fill(0);
    }
    const result = await handleCommand(
      store,
      stream,
      dataKeyDecider,
      dataKeyCodec,
      {
        type: 'RewrapDataKey',
        data: { orgId, dataKeyId, reencryptionId: STRANDED_MOVE, sources: [state.wrappedBy], to, kekRef: wrapped.kekRef, wrapped: wrapped.wrapped.toString('base64') },
        metadata: systemMetadata(STRANDED_MOVE, causationId),
      },
      { maxAttempts: 5, recorded },
    );
    if (result.events.length === 0) return 'left';
    options.logger.log(`stranded data key ${dataKeyId} of ${orgId} moved from ${state.wrappedBy} to ${to}`);
    return 'moved';
  } catch (error) {
    const code = failureCode(error);
    if (code === undefined) throw error;
    options.logger.warn(`stranded data key ${dataKeyId} of ${orgId} stays under ${state.wrappedBy}: ${code}`);
    return 'left';
  }
}

function decoded<T>(options: StrandedKeyReactorOptions, recorded: RecordedEvent, decode: (raw: RecordedEvent) => T): T | undefined {
  try {
    return decode(recorded);
  } catch (error) {
    options.logger.error(`stranded-key reactor: skipping undecodable ${recorded.type} at ${formatPosition(recorded.position)}: ${message(error)}`);
    return undefined;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Key rings read on first need and dropped whenever one of their events passes the
 * subscription, so a cached ring always includes every key-ring event before the one handled.
 */
class KeyringCache {
  private readonly rings = new Map<string, KeyringState>();

  constructor(
    private readonly store: EventStore,
    private readonly capacity: number,
  ) {}

  async get(orgId: string): Promise<KeyringState> {
    const cached = this.rings.get(orgId);
    if (cached) return cached;
    const state = await readKeyring(this.store, orgId);
    if (this.rings.size >= this.capacity) this.rings.clear();
    this.rings.set(orgId, state);
    return state;
  }

  forget(orgId: string): void {
    this.rings.delete(orgId);
  }

  clear(): void {
    this.rings.clear();
  }
}
