import { usePrivateRedis } from '@cmk/testing';
import { forwardCheckpoint } from './forward-checkpoint';

describe('forwardCheckpoint (real Redis)', () => {
  const redis = usePrivateRedis();

  it('starts empty, then moves forward only: an older position from another replica is ignored', async () => {
    const one = forwardCheckpoint(redis.redis, 'test:checkpoint');
    const other = forwardCheckpoint(redis.redis, 'test:checkpoint');
    expect(await one.load()).toBeUndefined();
    await one.advance({ commit: 10n, prepare: 10n });
    await other.advance({ commit: 7n, prepare: 7n });
    expect(await other.load()).toEqual({ commit: 10n, prepare: 10n });
    await other.advance({ commit: 12n, prepare: 12n });
    expect(await one.load()).toEqual({ commit: 12n, prepare: 12n });
  });
});
