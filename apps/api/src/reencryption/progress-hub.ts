import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { LiveBanner } from '@cmk/reencryption';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';
import { LiveReencryptionService } from './live-reencryption.service';

/** One poll's result: the banner (null before the org's first run), or `undefined` when the poll failed. */
export type ProgressUpdate = { readonly banner: LiveBanner | null } | undefined;

/** Called once per poll for every open stream of the org; the next poll waits for all of them. */
export type ProgressListener = (update: ProgressUpdate) => Promise<void> | void;

interface OrgLoop {
  readonly listeners: Set<ProgressListener>;
  last: ProgressUpdate;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const logger = new Logger('progress-hub');

/**
 * One poll of an org's live progress per `CMK_STREAM_POLL_MS`, however many streams of that org
 * are open on this replica: every stream is a listener of its org's loop. The loop starts with
 * the first listener and stops with the last. A new listener of a running loop gets the last
 * result at once. Each poll waits for every listener (they write and re-check their token), so a
 * slow listener delays its org's next poll instead of piling polls up.
 */
@Injectable()
export class ProgressHub implements OnApplicationShutdown {
  private readonly loops = new Map<string, OrgLoop>();
  private readonly pollMs: number;
  /** Polls made since start, all orgs (for the metrics and the tests). */
  polls = 0;

  constructor(
    private readonly live: LiveReencryptionService,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.pollMs = config.streams.pollMs;
  }

  /** Orgs with a running poll loop. */
  get loopCount(): number {
    return this.loops.size;
  }

  subscribe(orgId: string, listener: ProgressListener): () => void {
    let loop = this.loops.get(orgId);
    if (!loop) {
      loop = { listeners: new Set(), last: undefined, timer: undefined };
      this.loops.set(orgId, loop);
      loop.listeners.add(listener);
      void this.poll(orgId, loop);
    } else {
      loop.listeners.add(listener);
      if (loop.last) void deliver(listener, loop.last);
    }
    const joined = loop;
    return () => {
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && this.loops.get(orgId) === joined) {
        this.loops.delete(orgId);
        clearTimeout(joined.timer);
      }
    };
  }

  onApplicationShutdown(): void {
    for (const loop of this.loops.values()) clearTimeout(loop.timer);
    this.loops.clear();
  }

  private async poll(orgId: string, loop: OrgLoop): Promise<void> {
    if (this.loops.get(orgId) !== loop) return;
    this.polls += 1;
    let update: ProgressUpdate;
    try {
      update = { banner: await this.live.banner(orgId) };
      loop.last = update;
    } catch (error) {
      // Redis or the read models are unavailable: streams still heartbeat and re-check their token.
      logger.debug(`progress of ${orgId} unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
    await Promise.all([...loop.listeners].map((listener) => deliver(listener, update)));
    if (this.loops.get(orgId) === loop) loop.timer = setTimeout(() => void this.poll(orgId, loop), this.pollMs);
  }
}

async function deliver(listener: ProgressListener, update: ProgressUpdate): Promise<void> {
  try {
    await listener(update);
  } catch (error) {
    logger.warn(`a progress stream failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
