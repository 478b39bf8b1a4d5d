import { parseStreamName, STREAM_PREFIX } from '@cmk/domain';
import type { AllSubscription, EventStore, Position, RecordedEvent, SubscriptionItem } from '@cmk/eventstore';
import { auditOrgOf } from './audit-entry';
import type { DigestKeyArchive } from './digest-key-archive';
import { OrgChain, type DigestSigner } from './org-chain';

export interface ChainerLogger {
  log(message: string): void;
  error(message: string): void;
}

/** Where the chainer resumes after a restart (an optimisation: the chain itself guards correctness). */
export interface ChainerCheckpoint {
  load(): Promise<Position | undefined>;
  save(position: Position): Promise<void>;
}

export interface AuditChainerOptions {
  readonly store: EventStore;
  readonly signer: DigestSigner;
  readonly archive: DigestKeyArchive;
  /** `CMK_AUDIT_DIGEST_INTERVAL_SECONDS` × 1 000: how often unsigned links get a digest. Default 1 h. */
  readonly digestIntervalMs?: number;
  /** Link at most this many subscription items at once. Default 1 000. */
  readonly batchSize?: number;
  readonly checkpoint?: ChainerCheckpoint;
  readonly logger?: ChainerLogger;
  /** The process's outage reporter: an outage is its one line, not a line per resubscription. */
  readonly outages?: { noticed(error: unknown, source: string): boolean };
  readonly now?: () => Date;
}

const TICK = Symbol('tick');
/** Events are linked at most this long after they arrive. */
const FLUSH_AFTER_MS = 100;

/** A timer as a promise, made once per buffer (not once per event), and cancellable. */
function deadline(delayMs: number): { readonly fired: Promise<typeof TICK>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const fired = new Promise<typeof TICK>((resolve) => (timer = setTimeout(() => resolve(TICK), Math.max(0, delayMs))));
  return { fired, cancel: () => clearTimeout(timer) };
}

/** Re-encryption outcomes: a digest is signed right after each is linked. */
const RUN_ENDS = new Set(['ReencryptionCompleted', 'ReencryptionFailed']);

/**
 * Follows the whole log in commit order and extends each org's hash chain with that org's
 * events, then signs digests: at the end of every re-encryption run and on a schedule. Runs in
 * the worker; several replicas are safe (see `OrgChain`).
 */
export class AuditChainer {
  private readonly chains = new Map<string, OrgChain>();
  private subscription: AllSubscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();
  private loop: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: AuditChainerOptions) {}

  start(): this {
    this.loop = this.run();
    this.timer = setInterval(() => void this.signAll('schedule').catch(() => undefined), this.options.digestIntervalMs ?? 3_600_000);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.subscription?.unsubscribe();
    await this.loop;
    await this.work;
  }

  /** Signs a digest for every org with unsigned links now (also what the schedule does). */
  signAll(trigger: string): Promise<void> {
    return this.enqueue(async () => {
      for (const chain of this.chains.values()) await this.sign(chain, trigger);
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.work.then(task);
    this.work = next.catch((error: unknown) => {
      if (!this.options.outages?.noticed(error, 'audit chain')) this.options.logger?.error(`audit chain: ${error instanceof Error ? error.message : String(error)}`);
    });
    return next;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const from = await this.options.checkpoint?.load();
        this.subscription = this.options.store.subscribeToAll({ fromPosition: from ?? 'start' });
        if (this.stopped) await this.subscription.unsubscribe();
        await this.consume(this.subscription);
      } catch (error) {
        if (this.stopped) break;
        if (!this.options.outages?.noticed(error, 'audit chain')) this.options.logger?.error(`audit chain subscription failed; resubscribing: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Buffers what arrives together; links on size, on age, at the live end and at every run end. */
  private async consume(subscription: AllSubscription): Promise<void> {
    const batchSize = this.options.batchSize ?? 1000;
    const iterator = subscription[Symbol.asyncIterator]();
    let buffer: SubscriptionItem[] = [];
    // Armed when the buffer gets its first item: the buffer is linked at the latest then.
    let due: ReturnType<typeof deadline> | undefined;
    let pending: Promise<IteratorResult<SubscriptionItem>> | undefined;
    const flush = async () => {
      due?.cancel();
      due = undefined;
      const items = buffer;
      buffer = [];
      if (items.length > 0) await this.enqueue(() => this.link(items));
    };
    try {
      for (;;) {
        if (!pending) {
          pending = iterator.next();
          pending.catch(() => undefined);
        }
        const next = due === undefined ? await pending : await Promise.race([pending, due.fired]);
        if (next === TICK) {
          await flush();
          continue;
        }
        pending = undefined;
        if (next.done) break;
        if (buffer.length === 0) due = deadline(FLUSH_AFTER_MS);
        buffer.push(next.value);
        // A digest at run end must cover the outcome, so a run end is linked at once.
        if (buffer.length >= batchSize || next.value.kind !== 'event' || RUN_ENDS.has(next.value.event.type)) await flush();
      }
    } finally {
      // A failed subscription leaves the buffer for the next one (it resumes at the checkpoint).
      due?.cancel();
    }
    await flush();
  }

  private async link(items: readonly SubscriptionItem[]): Promise<void> {
    const byOrg = new Map<string, RecordedEvent[]>();
    const runEnds = new Map<string, string>();
    let upTo: Position | undefined;
    for (const item of items) {
      upTo = item.kind === 'event' ? item.event.position : item.position;
      if (item.kind !== 'event') continue;
      const org = auditOrgOf(item.event);
      if (org === undefined) continue;
      if (!parseStreamName(`${STREAM_PREFIX.audit}${org}`)) {
        // Not an org id (org ids are validated logins): a data defect no retry fixes.
        this.options.logger?.error(`audit chain: skipping ${item.event.type} on ${item.event.streamId}: orgId ${JSON.stringify(org)} is not an org id`);
        continue;
      }
      const events = byOrg.get(org);
      if (events) events.push(item.event);
      else byOrg.set(org, [item.event]);
      const runId = item.event.data['reencryptionId'];
      if (RUN_ENDS.has(item.event.type) && typeof runId === 'string') runEnds.set(org, runId);
    }
    for (const [org, events] of byOrg) await this.chain(org).extend(events);
    for (const [org, runId] of runEnds) await this.sign(this.chain(org), `run-end:${runId}`);
    if (upTo) await this.options.checkpoint?.save(upTo);
  }

  private async sign(chain: OrgChain, trigger: string): Promise<void> {
    if (!(await chain.unsigned())) return;
    // Published before the digest exists, so no reader ever sees a digest it cannot verify.
    await this.options.archive.remember((await this.options.signer.current()).publicJwk);
    const jwk = await chain.sign(this.options.signer, trigger, (this.options.now ?? (() => new Date()))());
    if (jwk) await this.options.archive.remember(jwk);
  }

  private chain(org: string): OrgChain {
    let chain = this.chains.get(org);
    if (!chain) {
      chain = new OrgChain(org, this.options.store);
      this.chains.set(org, chain);
    }
    return chain;
  }
}
