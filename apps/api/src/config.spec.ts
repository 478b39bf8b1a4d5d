import { ConfigError } from '@cmk/runtime';
import { loadApiConfig } from './config';

const valid = { CMK_OPERATOR_TOKEN: 'x'.repeat(32), CMK_DATA_DIR: '/tmp/cmk-config-spec' };

describe('loadApiConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadApiConfig(valid);
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', redisUrl: 'redis://127.0.0.1:6379', publicUrl: 'http://127.0.0.1:3000', eventStoreUrl: undefined, readWaitMs: 5000, logLevel: 'log', logFormat: 'text' });
    expect(loadApiConfig({ ...valid, LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(config.keyProviders).toBeDefined();
  });

  it('reports every problem at once, without echoing the operator token', () => {
    let caught: unknown;
    try {
      loadApiConfig({ CMK_OPERATOR_TOKEN: 'short-secret', PORT: 'eighty', REDIS_URL: 'http://nope', EVENTSTORE_URL: 'mysql://x', LOG_LEVEL: 'loud', LOG_FORMAT: 'xml' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    for (const name of ['CMK_OPERATOR_TOKEN', 'PORT', 'REDIS_URL', 'EVENTSTORE_URL', 'LOG_LEVEL', 'LOG_FORMAT']) expect(problems).toContain(name);
    expect(problems).not.toContain('short-secret');
  });

  it('accepts PostgreSQL connection strings and a pool size', () => {
    for (const url of ['postgres://cmk:secret@db:5432/cmk', 'postgresql://db/cmk?sslmode=require']) {
      expect(loadApiConfig({ ...valid, EVENTSTORE_URL: url }).eventStoreUrl).toBe(url);
    }
    expect(loadApiConfig(valid).pgPoolMax).toBe(10);
    expect(loadApiConfig({ ...valid, CMK_PG_POOL_MAX: '25' }).pgPoolMax).toBe(25);
    expect(() => loadApiConfig({ ...valid, CMK_PG_POOL_MAX: '0' })).toThrow(/CMK_PG_POOL_MAX must be an integer from 1 to 1000/);
  });

  it('derives the issuer base from PORT and trims a trailing slash from PUBLIC_URL', () => {
    expect(loadApiConfig({ ...valid, PORT: '8080' }).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadApiConfig({ ...valid, PUBLIC_URL: 'https://cmk.example.com/' }).publicUrl).toBe('https://cmk.example.com');
  });
});

describe('loadApiConfig: limits and secrets', () => {
  const problemsOf = (env: Record<string, string>): string => {
    try {
      loadApiConfig({ ...valid, ...env });
    } catch (error) {
      return (error as ConfigError).problems.join('\n');
    }
    return '';
  };

  it('refuses a metrics token shorter than the operator token minimum, without echoing it', () => {
    const problems = problemsOf({ CMK_METRICS_TOKEN: 'scrape-me' });
    expect(problems).toContain('CMK_METRICS_TOKEN must be at least 24 characters');
    expect(problems).not.toContain('scrape-me');
    expect(loadApiConfig({ ...valid, CMK_METRICS_TOKEN: 'm'.repeat(24) }).metricsToken).toBe('m'.repeat(24));
    expect(loadApiConfig(valid).metricsToken).toBeUndefined();
  });

  it('applies the documented rate-limit, stream and proxy defaults', () => {
    const config = loadApiConfig(valid);
    expect(config.rateLimits).toEqual({ enabled: true, windowSeconds: 60, limits: { secrets: 6000, commands: 300, reads: 1200, operator: 1200, anonymous: 300 } });
    expect(config.streams).toEqual({ heartbeatMs: 15_000, pollMs: 1_000, maxSeconds: 300, maxPerOrg: 10, maxTotal: 500 });
    expect(config.trustProxy).toBe(false);
  });

  it('reads every budget and bound from its variable', () => {
    const config = loadApiConfig({
      ...valid,
      CMK_RATE_LIMIT_ENABLED: 'false',
      CMK_RATE_LIMIT_WINDOW_SECONDS: '10',
      CMK_RATE_LIMIT_SECRETS: '1',
      CMK_RATE_LIMIT_COMMANDS: '2',
      CMK_RATE_LIMIT_READS: '3',
      CMK_RATE_LIMIT_OPERATOR: '4',
      CMK_RATE_LIMIT_ANONYMOUS: '5',
      CMK_STREAM_MAX_PER_ORG: '2',
      CMK_STREAM_MAX_TOTAL: '3',
      CMK_STREAM_MAX_SECONDS: '30',
      CMK_STREAM_POLL_MS: '250',
    });
    expect(config.rateLimits).toEqual({ enabled: false, windowSeconds: 10, limits: { secrets: 1, commands: 2, reads: 3, operator: 4, anonymous: 5 } });
    expect(config.streams).toMatchObject({ maxPerOrg: 2, maxTotal: 3, maxSeconds: 30, pollMs: 250 });
  });

  it('refuses budgets of zero and malformed values', () => {
    const problems = problemsOf({ CMK_RATE_LIMIT_SECRETS: '0', CMK_RATE_LIMIT_ENABLED: 'yes', CMK_STREAM_MAX_PER_ORG: '0', CMK_TRUST_PROXY: 'everyone' });
    for (const name of ['CMK_RATE_LIMIT_SECRETS', 'CMK_RATE_LIMIT_ENABLED', 'CMK_STREAM_MAX_PER_ORG', 'CMK_TRUST_PROXY']) expect(problems).toContain(name);
  });

  it('reads CMK_TRUST_PROXY as Express does: a boolean, a number of hops, or addresses and subnets', () => {
    const trust = (value: string) => loadApiConfig({ ...valid, CMK_TRUST_PROXY: value }).trustProxy;
    expect(trust('true')).toBe(true);
    expect(trust('1')).toBe(1);
    expect(trust('loopback, 10.0.0.0/8')).toBe('loopback,10.0.0.0/8');
    expect(trust('fd00::/8')).toBe('fd00::/8');
  });
});
