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
