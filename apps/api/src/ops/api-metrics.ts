import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataKeyCache } from '@cmk/secrets';
import { routeTemplateOf } from '../http/route-template';

/** Seconds; from a cached decrypt (sub-millisecond) to a KMS call that waits out its retries. */
const HTTP_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const APPEND_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * This api process's own Prometheus metrics (one registry per app instance, so tests that build
 * several apps in one process never collide): Node defaults, HTTP request durations by route
 * template and status, event-store append latency and the data-key cache's hits and misses.
 * The queue, projection-lag and fleet collectors are added by the metrics controller.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly http: Histogram<'method' | 'route' | 'status'>;
  private readonly appends: Histogram<'outcome'>;
  private readonly refusals: Counter<'budget'>;
  private readonly lean: Counter<'route'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cmk_api_' });
    this.http = new Histogram({
      name: 'cmk_http_request_duration_seconds',
      help: 'HTTP request duration, by method, route template (never the raw path) and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_SECONDS_BUCKETS,
      registers: [this.registry],
    });
    this.appends = new Histogram({
      name: 'cmk_event_store_append_seconds',
      help: 'Latency of one event-store append (the events of one command), by outcome.',
      labelNames: ['outcome'],
      buckets: APPEND_SECONDS_BUCKETS,
      registers: [this.registry],
    });
    this.refusals = new Counter({
      name: 'cmk_rate_limited_total',
      help: 'Requests refused with 429 RATE_LIMITED, by budget (secrets, commands, reads, operator, anonymous).',
      labelNames: ['budget'],
      registers: [this.registry],
    });
    this.lean = new Counter({
      name: 'cmk_http_lean_path_requests_total',
      help: 'Requests to POST /api/orgs/:org/secrets/encrypt and /decrypt served by the lean path (the rest went through the router), by route template.',
      labelNames: ['route'],
      registers: [this.registry],
    });
  }

  /** A request the secrets routes' lean path served (`secrets/secrets-hot-path.ts`), by route template. */
  readonly leanPathServed = (route: string): void => {
    this.lean.inc({ route });
  };

  rateLimited(budget: string): void {
    this.refusals.inc({ budget });
  }

  /** Requests the rate limiter let through uncounted because Redis was unavailable (it fails open). */
  watchRateLimitStorage(storage: { readonly uncounted: number }): void {
    new Counter({
      name: 'cmk_rate_limit_uncounted_total',
      help: 'Requests let through without counting because Redis was unavailable (the rate limiter fails open).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(storage.uncounted);
      },
    });
  }

  /** The live progress streams of this replica: open streams, orgs polled, polls made, refusals by cap. */
  watchLiveStreams(source: { readonly open: () => number; readonly pollLoops: () => number; readonly polls: () => number; readonly refused: () => { org: number; total: number } }): void {
    new Gauge({
      name: 'cmk_live_streams',
      help: 'Open live progress streams (Server-Sent Events) on this replica.',
      registers: [this.registry],
      collect() {
        this.set(source.open());
      },
    });
    new Gauge({
      name: 'cmk_live_stream_poll_loops',
      help: 'Orgs whose progress this replica polls for its open streams (one poll loop per org, however many streams).',
      registers: [this.registry],
      collect() {
        this.set(source.pollLoops());
      },
    });
    new Counter({
      name: 'cmk_live_stream_polls_total',
      help: 'Progress polls made for the open streams (one per org per CMK_STREAM_POLL_MS).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(source.polls());
      },
    });
    new Counter({
      name: 'cmk_live_streams_refused_total',
      help: 'Progress streams refused by a connection cap (cap: org, total).',
      labelNames: ['cap'],
      registers: [this.registry],
      collect() {
        this.reset();
        const refused = source.refused();
        this.inc({ cap: 'org' }, refused.org);
        this.inc({ cap: 'total' }, refused.total);
      },
    });
  }

  /** Express middleware: times every request until its response is finished (or the client left). */
  httpMiddleware() {
    return (request: Request, response: Response, next: NextFunction): void => {
      const end = this.http.startTimer();
      response.once('close', () => end({ method: request.method, route: routeTemplateOf(request), status: String(response.statusCode) }));
      next();
    };
  }

  observeAppend = (seconds: number, outcome: 'ok' | 'error'): void => {
    this.appends.observe({ outcome }, seconds);
  };

  /** The plaintext data-key cache of the secrets path: lookups by result, and the hit ratio since start. */
  watchDataKeyCache(cache: DataKeyCache): void {
    new Counter({
      name: 'cmk_data_key_cache_lookups_total',
      help: 'Data-key cache lookups on the secrets path, by result (hit: no KMS call).',
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc({ result: 'hit' }, cache.hits);
        this.inc({ result: 'miss' }, cache.misses);
      },
    });
    new Gauge({
      name: 'cmk_data_key_cache_hit_ratio',
      help: 'Share of data-key cache lookups answered from memory since the process started (0 before the first lookup).',
      registers: [this.registry],
      collect() {
        const total = cache.hits + cache.misses;
        this.set(total === 0 ? 0 : cache.hits / total);
      },
    });
    new Gauge({
      name: 'cmk_data_key_cache_entries',
      help: 'Plaintext data keys held in memory.',
      registers: [this.registry],
      collect() {
        this.set(cache.size);
      },
    });
  }
}
