import { UnrecoverableError } from 'bullmq';
import { parseBatchJob, parseFinalizeJob, parsePlanJob } from './payloads';

const run = { orgId: 'acme', reencryptionId: 're-0123456789abcdef0123456789abcdef' };
const legacy = { ...run, from: ['platform'], to: 'k-target' };

describe('job payloads are validated at the edge', () => {
  it('accepts a well-formed batch payload and copies only the known fields (ids, never keys)', () => {
    const parsed = parseBatchJob({ ...run, round: 2, dataKeyIds: ['dk1', 'dk2'], plaintext: 'never' });
    expect(parsed).toEqual({ ...run, round: 2, dataKeyIds: ['dk1', 'dk2'] });
  });

  it("keeps the keys a previous release's payload names apart, to be compared with the key ring", () => {
    expect(parseBatchJob({ ...legacy, round: 1, dataKeyIds: ['dk1'] })).toEqual({ ...run, named: { from: ['platform'], to: 'k-target' }, round: 1, dataKeyIds: ['dk1'] });
    expect(() => parseFinalizeJob({ ...legacy, to: '' })).toThrow('Malformed finalize job payload: to');
  });

  it.each([
    ['no orgId', { ...run, orgId: undefined, round: 1, dataKeyIds: ['dk1'] }, 'orgId'],
    ['an empty source list', { ...legacy, from: [], round: 1, dataKeyIds: ['dk1'] }, 'from'],
    ['a non-string source', { ...legacy, from: ['platform', 7], round: 1, dataKeyIds: ['dk1'] }, 'from[1]'],
    ['a destination without sources', { ...run, to: 'k-other', round: 1, dataKeyIds: ['dk1'] }, 'from'],
    ['a fractional round', { ...run, round: 1.5, dataKeyIds: ['dk1'] }, 'round'],
    ['no data keys', { ...run, round: 1, dataKeyIds: [] }, 'dataKeyIds'],
    ['an empty data key id', { ...run, round: 1, dataKeyIds: ['dk1', ''] }, 'dataKeyIds[1]'],
  ])('refuses a batch payload with %s as unrecoverable (no retry can fix it)', (_, payload, field) => {
    let thrown: unknown;
    try {
      parseBatchJob(payload);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect(thrown).toMatchObject({ reason: 'malformed', message: `Malformed batch job payload: ${field}` });
  });

  it('refuses a payload that is not an object', () => {
    expect(() => parseBatchJob(null)).toThrow(UnrecoverableError);
    expect(() => parseFinalizeJob(['acme'])).toThrow('Malformed finalize job payload: orgId');
  });

  it('reads a plan payload with its resume cursors; unknown cursor values mean "done"', () => {
    const parsed = parsePlanJob({ ...run, startedAt: '42/42', cursors: { platform: '17', 'k-old': 5 }, pages: 3 });
    expect(parsed).toEqual({ ...run, startedAt: '42/42', cursors: { platform: '17', 'k-old': null }, pages: 3 });
  });

  it('starts a fresh plan at page 0 and requires the start position', () => {
    expect(parsePlanJob({ ...run, startedAt: '1/1' })).toMatchObject({ cursors: {}, pages: 0 });
    expect(() => parsePlanJob({ ...run })).toThrow('Malformed plan job payload: startedAt');
  });

  it('defaults the finalize round to the plan round', () => {
    expect(parseFinalizeJob(run).round).toBe(1);
    expect(parseFinalizeJob({ ...run, round: 3 }).round).toBe(3);
    expect(parseFinalizeJob({ ...run, round: 'x' }).round).toBe(1);
  });
});
