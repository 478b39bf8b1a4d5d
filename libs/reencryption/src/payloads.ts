import { UnrecoverableError } from 'bullmq';

/**
 * Job payloads: ids and cursors only, never key material. They are validated when a job
 * starts (the edge), since Redis may hold jobs written by an older or newer worker.
 */
export interface RunRef {
  readonly orgId: string;
  readonly reencryptionId: string;
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
  throw new UnrecoverableError(`Malformed ${job} job payload: ${field}`);
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
  return { orgId: str(d['orgId'], job, 'orgId'), reencryptionId: str(d['reencryptionId'], job, 'reencryptionId'), from: strArray(d['from'], job, 'from'), to: str(d['to'], job, 'to') };
}

export function parsePlanJob(value: unknown): PlanJobData {
  const d = record(value);
  const cursors: Record<string, string | null> = {};
  for (const [key, cursor] of Object.entries(record(d['cursors']))) cursors[key] = typeof cursor === 'string' ? cursor : null;
  const pages = typeof d['pages'] === 'number' && Number.isSafeInteger(d['pages']) ? d['pages'] : 0;
  return { ...parseRunRef(value, 'plan'), startedAt: str(d['startedAt'], 'plan', 'startedAt'), cursors, pages };
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
