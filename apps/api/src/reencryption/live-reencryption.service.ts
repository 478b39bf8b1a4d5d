import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ReadModelQueries } from '@cmk/read-models';
import { readLiveBanner, type LiveBanner } from '@cmk/reencryption';
import { REDIS } from '../tokens';

/**
 * The re-encryption banner with live counts: the read model's banner merged with the worker
 * fleet's Redis counters while the run is running (the read model alone moves only every
 * couple of seconds, with each `ReencryptionProgressed`).
 */
@Injectable()
export class LiveReencryptionService {
  constructor(
    private readonly queries: ReadModelQueries,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Null before the org's first run. */
  banner(orgId: string): Promise<LiveBanner | null> {
    return readLiveBanner(this.queries, this.redis, orgId);
  }
}
