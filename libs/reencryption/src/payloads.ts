import { UnrecoverableError } from 'bullmq';

/**
 * Job payloads: ids and cursors only, never key material and never which keys to use. Source
 * and destination come from the org's key ring (its running run), so whoever can write to Redis
 * cannot point a run at another key. They are validated when a job starts (the edge), since Redis
 * may hold jobs written by an older or newer worker.
 */
export interface RunRef {
  readonly orgId: string;
  readonly reencryptionId: string;
  /**
   * The keys a job queued by the previous release names (it carried `from` and `to`). Never used
   * to choose a key: a job is run only when they equal the key ring's run, refused otherwise.
   */
  readonly named?: RunKeys;
}

/** The run's keys as its key ring records them. */
export interface RunKeys {
  /** Source key ids (`platform` or CMK ids). */
  readonly from: readonly string[];
  readonly to: string;
}

export interface PlanJobData extends RunRef {
  /** `formatPosition` of the `ReencryptionStarted` event: the index must have passed it. */
  readonly startedAt: string;
  /** Cursor per source key of the next page to plan, and pages planned so far (resume after a crash). */
  readonly cursors?: Readonly<Record<string, string | null>>;
  readonly pages?: number;
}

export interface BatchJobData extends RunRef {
  readonly round: number;
  readonly dataKeyIds: readonly string[];
}

export interface FinalizeJobData extends RunRef {
  /** The round finalize last scheduled (1 = the plan's). */
  readonly round?: number;
}

function fail(job: string, field: string): never {
  throw new RefusedJobError('malformed', `Malformed ${job} job payload: ${field}`);
}

function str(value: unknown, job: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(job, field);
  return value;
}

function strArray(value: unknown, job: string, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0) fail(job, field);
  return value.map((item: unknown, i) => str(item, job, `${field}[${i}]`));
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function parseRunRef(value: unknown, job: string): RunRef {
  const d = record(value);
  const ref = { orgId: str(d['orgId'], job, 'orgId'), reencryptionId: str(d['reencryptionId'], job, 'reencryptionId') };
  if (d['from'] === undefined && d['to'] === undefined) return ref;
  return { ...ref, named: { from: strArray(d['from'], job, 'from'), to: str(d['to'], job, 'to') } };
}

export function parsePlanJob(value: unknown): PlanJobData {
  const d = record(value);
  const cursors: Record<string, string | null> = {};
  for (const [key, cursor] of Object.entries(record(d['cursors']))) cursors[key] = typeof cursor === 'string' ? cursor : null;
  const pages = typeof d['pages'] === 'number' && Number.isSafeInteger(d['pages']) ? d['pages'] : 0;
  return { ...parseRunRef(value, 'plan'), startedAt: str(d['startedAt'], 'plan', 'startedAt'), cursors, pages };
}

/** Why a job was refused: the label of `cmk_reencryption_jobs_refused_total`. */
export type RefusalReason = 'malformed' | 'unknown_run' | 'run_not_running' | 'keys_disagree';

/**
 * A job its payload or the key ring says must not run: failed at once (BullMQ does not retry an
 * `UnrecoverableError`) and counted. No data key is touched, so nothing is lost: a refused batch's
 * keys are still under a source when finalize checks, and it schedules them again.
 */
export class RefusedJobError extends UnrecoverableError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'RefusedJobError';
  }
}

/** Whether the keys a legacy payload names are exactly the run's (same sources, same order not required). */
export function keysAgree(named: RunKeys | undefined, run: RunKeys): boolean {
  if (named === undefined) return true;
  return named.to === run.to && named.from.length === run.from.length && named.from.every((id) => run.from.includes(id));
}

export function parseBatchJob(value: unknown): BatchJobData {
  const d = record(value);
  const round = typeof d['round'] === 'number' && Number.isSafeInteger(d['round']) ? d['round'] : fail('batch', 'round');
  return { ...parseRunRef(value, 'batch'), round, dataKeyIds: strArray(d['dataKeyIds'], 'batch', 'dataKeyIds') };
}

export function parseFinalizeJob(value: unknown): FinalizeJobData {
  const d = record(value);
  const round = typeof d['round'] === 'number' && Number.isSafeInteger(d['round']) ? d['round'] : 1;
  return { ...parseRunRef(value, 'finalize'), round };
}
