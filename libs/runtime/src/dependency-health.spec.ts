import { register } from 'prom-client';
import { DependencyHealth, formatDuration } from './dependency-health';
import { outageDependency } from './outage-errors';

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
}

async function metricValue(name: string, dependency: string): Promise<number | undefined> {
  const metric = register.getSingleMetric(name);
  const { values } = await (metric as NonNullable<typeof metric>).get();
  return values.find((v) => v.labels['dependency'] === dependency)?.value;
}

describe('DependencyHealth', () => {
  let clock: number;
  let lines: string[];
  let health: DependencyHealth;

  beforeEach(() => {
    jest.useFakeTimers();
    clock = Date.parse('2026-01-01T00:00:00Z');
    lines = [];
    health = new DependencyHealth({ logger: { warn: (m) => lines.push(m) }, where: { redis: 'redis://r:6379', eventstore: 'EventStoreDB (esdb://e:2113)' }, now: () => clock });
  });

  afterEach(() => {
    health.close();
    jest.useRealTimers();
  });

  it('logs an outage once when it starts, at most once a minute while it lasts, and once when it ends with its duration', async () => {
    health.failure('redis', refused(), 'connection cmk-api');
    for (let i = 0; i < 50; i++) health.failure('redis', refused(), 'batch worker');
    expect(lines).toEqual(['Redis outage started: redis://r:6379 unavailable since 2026-01-01T00:00:00.000Z (connection cmk-api: connect ECONNREFUSED 127.0.0.1:6390); retrying']);
    expect(health.isUp('redis')).toBe(false);
    expect(await metricValue('cmk_dependency_up', 'redis')).toBe(0);

    clock += 60_000;
    jest.advanceTimersByTime(60_000);
    expect(lines[1]).toBe('Redis outage continues: redis://r:6379 unavailable for 1 min 00 s, 51 failed attempts so far (last: connect ECONNREFUSED 127.0.0.1:6390); retrying');
    clock += 15_500;
    jest.advanceTimersByTime(15_500);
    health.recovered('redis');
    health.recovered('redis');
    expect(lines.slice(2)).toEqual(['Redis outage ended after 1 min 16 s (51 failed attempts): redis://r:6379 answers again']);
    expect(health.status().find((s) => s.dependency === 'redis')).toMatchObject({ up: true, outages: 1, failedAttempts: 0 });
    expect(await metricValue('cmk_dependency_up', 'redis')).toBe(1);
    jest.advanceTimersByTime(120_000);
    expect(lines).toHaveLength(3);
  });

  it('takes note only of outages: other errors are the caller\'s to log', () => {
    expect(health.noticed(new Error('KMS said no'), 'batch job')).toBe(false);
    expect(health.noticed(Object.assign(new Error('database is locked'), { name: 'SqliteError', code: 'SQLITE_BUSY' }), 'append')).toBe(true);
    expect(health.isUp('eventstore')).toBe(false);
    expect(health.isUp('redis')).toBe(true);
    expect(lines).toHaveLength(1);
  });
});

describe('DependencyHealth.absorbs (late reports)', () => {
  it('counts an outage error into an outage in progress but never starts one', () => {
    const lines: string[] = [];
    const health = new DependencyHealth({ logger: { warn: (m) => lines.push(m) }, where: { redis: 'r', eventstore: 'e' } });
    const locked = Object.assign(new Error('database is locked'), { name: 'SqliteError', code: 'SQLITE_BUSY' });
    expect(health.absorbs(locked)).toBe(true);
    expect(health.isUp('eventstore')).toBe(true);
    expect(health.absorbs(new Error('KMS_ACCESS_DENIED'))).toBe(false);
    health.failure('eventstore', locked, 'probe');
    health.absorbs(locked);
    expect(health.status().find((s) => s.dependency === 'eventstore')?.failedAttempts).toBe(2);
    expect(lines).toHaveLength(1);
    health.close();
  });
});

describe('outageDependency', () => {
  it.each([
    ['ioredis refused', refused(), 'redis'],
    ['ioredis closed', new Error('Connection is closed.'), 'redis'],
    ['esdb unavailable', Object.assign(new Error('14 UNAVAILABLE: No connection established'), { type: 'unavailable' }), 'eventstore'],
    ['esdb deadline', Object.assign(new Error('deadline'), { type: 'deadline-exceeded' }), 'eventstore'],
    ['sqlite busy', Object.assign(new Error('database is locked'), { name: 'SqliteError', code: 'SQLITE_BUSY' }), 'eventstore'],
    ['esdb conflict', Object.assign(new Error('Wrong expected version'), { type: 'wrong-expected-version' }), undefined],
    ['a batch wrapping an esdb outage', new Error('2 data key(s) hit transient failures (first: dk-1: 14 UNAVAILABLE: No connection established)'), 'eventstore'],
    ['KMS unreachable (AWS SDK)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED', $metadata: {} }), undefined],
    ['a KMS refusal', new Error('KMS_ACCESS_DENIED'), undefined],
    ['a string', 'a string', undefined],
  ])('%s → %s', (_label, error, dependency) => {
    expect(outageDependency(error)).toBe(dependency);
  });
});

describe('formatDuration', () => {
  it('reads well at every scale', () => {
    expect([850, 21_340, 245_000].map(formatDuration)).toEqual(['850 ms', '21.3 s', '4 min 05 s']);
  });
});
