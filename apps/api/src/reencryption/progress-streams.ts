import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { LiveBanner } from '@cmk/reencryption';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';
import { ProgressHub, type ProgressUpdate } from './progress-hub';
import { StreamSlots } from './stream-slots';

export interface ProgressStreamOptions {
  readonly orgId: string;
  readonly response: Response;
  /** Re-checked before every write: false (a revoked token) ends the stream. */
  readonly allowed: () => Promise<boolean>;
  /**
   * `console`: stays open between runs (`idle` before the first), asks EventSource to reconnect
   * after 3 s. `run`: ends after the event that shows the run is no longer running.
   */
  readonly mode: 'console' | 'run';
}

/** Why a stream ended (tests and logs). */
export type StreamEnd = 'client' | 'revoked' | 'max-duration' | 'run-finished';

const frameOf = (banner: LiveBanner | null) =>
  banner ? `event: reencryption\nid: ${banner.id}-${banner.done + banner.failed}\ndata: ${JSON.stringify(banner)}\n\n` : 'event: idle\ndata: null\n\n';

/**
 * Every live progress stream (Server-Sent Events), bounded: a slot under the per-org and global
 * caps (refused before any byte is sent), the org's shared poll instead of its own, the token
 * re-checked on every poll, heartbeat comments, and an end after `CMK_STREAM_MAX_SECONDS`.
 */
@Injectable()
export class ProgressStreams {
  constructor(
    private readonly hub: ProgressHub,
    private readonly slots: StreamSlots,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Resolves when the stream has ended (the response is ended too). Throws the cap's error before sending anything. */
  serve(options: ProgressStreamOptions): Promise<StreamEnd> {
    const { orgId, response, allowed, mode } = options;
    const release = this.slots.acquire(orgId);
    const { heartbeatMs, maxSeconds } = this.config.streams;
    response.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    response.flushHeaders();
    if (mode === 'console') response.write('retry: 3000\n\n');
    const endAt = Date.now() + maxSeconds * 1000;
    let lastSent: string | undefined;
    let lastWrite = Date.now();
    return new Promise<StreamEnd>((resolve) => {
      let ended = false;
      let unsubscribe: () => void = () => undefined;
      const end = (why: StreamEnd) => {
        if (ended) return;
        ended = true;
        unsubscribe();
        release();
        if (!response.writableEnded) response.end();
        resolve(why);
      };
      // The response's 'close': the client went away (or the server is closing the connection).
      response.once('close', () => end('client'));
      const tick = async (update: ProgressUpdate) => {
        if (ended) return;
        if (Date.now() >= endAt) return end('max-duration');
        if (!(await allowed())) return end('revoked');
        if (ended) return;
        if (update) {
          const frame = frameOf(update.banner);
          if (frame !== lastSent && (update.banner || mode === 'console')) {
            response.write(frame);
            lastSent = frame;
            lastWrite = Date.now();
          }
          if (mode === 'run' && update.banner?.state !== 'running') return end('run-finished');
        }
        if (Date.now() - lastWrite >= heartbeatMs) {
          response.write(': heartbeat\n\n');
          lastWrite = Date.now();
        }
      };
      unsubscribe = this.hub.subscribe(orgId, tick);
      if (ended) unsubscribe();
    });
  }
}
