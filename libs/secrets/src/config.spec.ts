import { EnvReader } from '@cmk/runtime';
import { readSecretsConfig } from './config';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  return { options: readSecretsConfig(reader), problems: reader.problems };
};

describe('readSecretsConfig', () => {
  it('applies the documented defaults', () => {
    const { options, problems } = read({});
    expect(problems).toEqual([]);
    expect(options).toMatchObject({
      cache: { ttlMs: 300_000, max: 10_000, maxPerOrg: 1_000 },
      maxDataKeysPerOrg: 10_000,
      dataKeyUse: { maxUses: 2 ** 28, maxAgeMs: 90 * 24 * 3600 * 1000, reserveBlock: 2 ** 20 },
    });
  });

  it('reads every setting, and names each invalid one', () => {
    const { options } = read({
      CMK_DATA_KEY_CACHE_MAX_PER_ORG: '50',
      CMK_MAX_DATA_KEYS_PER_ORG: '3',
      CMK_DATA_KEY_MAX_USES: '1000',
      CMK_DATA_KEY_MAX_AGE_MS: '60000',
      CMK_DATA_KEY_RESERVE_BLOCK: '10',
    });
    expect(options).toMatchObject({ cache: { maxPerOrg: 50 }, maxDataKeysPerOrg: 3, dataKeyUse: { maxUses: 1000, maxAgeMs: 60_000, reserveBlock: 10 } });
    const { problems } = read({ CMK_MAX_DATA_KEYS_PER_ORG: '0', CMK_DATA_KEY_MAX_USES: String(2 ** 32 + 1), CMK_DATA_KEY_MAX_AGE_MS: '10', CMK_DATA_KEY_RESERVE_BLOCK: 'lots', CMK_DATA_KEY_CACHE_MAX_PER_ORG: '-1' });
    const text = problems.join('\n');
    for (const name of ['CMK_MAX_DATA_KEYS_PER_ORG', 'CMK_DATA_KEY_MAX_USES', 'CMK_DATA_KEY_MAX_AGE_MS', 'CMK_DATA_KEY_RESERVE_BLOCK', 'CMK_DATA_KEY_CACHE_MAX_PER_ORG']) expect(text).toContain(name);
  });
});
