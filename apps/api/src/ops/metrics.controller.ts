import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import { Gauge, register, type Registry } from 'prom-client';
import { ApplicationError } from '@cmk/application';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import { ReadModelQueries } from '@cmk/read-models';
import { registerFleetCollectors } from '@cmk/reencryption';
import { HealthStore, renderHealthMetrics } from '@cmk/key-health';
import { renderWebhookMetrics } from '@cmk/webhooks';
import type { DependencyHealth } from '@cmk/runtime';
import type { ApiConfig } from '../config';
import { API_CONFIG, API_METRICS, DEPENDENCY_HEALTH, OPS_OPTIONS, OPS_QUEUES, REDIS } from '../tokens';
import type { ApiMetrics } from './api-metrics';
import { matchesAny, presentedSecret } from './operator-credentials';
import type { OpsModuleOptions } from './ops-options';
import type { OpsQueues } from './ops-queues';
import { ApiErrors } from '../openapi/error-responses';
import { RateLimitedAs } from '../http/rate-limit/route-budget';

const JOB_STATES = ['waiting', 'active', 'delayed', 'waiting-children', 'failed', 'completed', 'prioritized'] as const;

/**
 * `GET /metrics` (Prometheus text): this api process (`ApiMetrics`: Node defaults, HTTP
 * durations, event-store appends, data-key cache), queue depth per queue and state and
 * projection lag (collected on scrape), and the fleet-wide counters and histograms every worker
 * pushes to Redis (rewraps, failures by code, batch and KMS latency).
 * Operator-only: `Bearer <CMK_OPERATOR_TOKEN>` or `Bearer <CMK_METRICS_TOKEN>` (a scrape-only
 * secret, so Prometheus never holds the operator token). The default registry's metrics follow
 * (`cmk_dependency_up`, `cmk_dependency_outages_total`: see `DependencyHealth`).
 */
@RateLimitedAs('operator')
@Controller()
export class MetricsController {
  private readonly registry: Registry;

  constructor(
    @Inject(API_METRICS) metrics: ApiMetrics,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(OPS_OPTIONS) private readonly options: OpsModuleOptions,
    @Inject(OPS_QUEUES) queues: OpsQueues,
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(DEPENDENCY_HEALTH) private readonly dependencies: DependencyHealth,
    queries: ReadModelQueries,
    private readonly health: HealthStore,
  ) {
    // During an outage the collectors that read Redis or the store are skipped (their series are
    // absent, the fleet's keep their last counts): a scrape must still answer, since
    // `cmk_dependency_up` 0 is what pages someone.
    this.registry = metrics.registry;
    registerFleetCollectors(this.registry, redis, () => dependencies.isUp('redis'));
    new Gauge({
      name: 'cmk_queue_jobs',
      help: 'Jobs per worker queue (re-encryption, key health, webhooks) and state.',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        if (!dependencies.isUp('redis')) return;
        for (const queue of queues.all) {
          const counts = await queue.getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'cmk_projection_lag_events',
      help: 'Events in the store not yet applied to the read models (store head minus checkpoint).',
      registers: [this.registry],
      async collect() {
        this.reset();
        if (!dependencies.isUp('redis') || !dependencies.isUp('eventstore')) return;
        const [head, checkpoint] = await Promise.all([store.headPosition(), queries.checkpoint()]);
        this.set(Number(head.commit - (checkpoint?.commit ?? -1n)));
      },
    });
  }

  @ApiTags('operator')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Prometheus metrics', description: 'Operator token or `CMK_METRICS_TOKEN`.' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors('UNAUTHENTICATED')
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(@Req() request: Request): Promise<string> {
    const bearer = /^Bearer\s/i.test(request.headers.authorization ?? '') ? presentedSecret(request.headers.authorization) : undefined;
    if (!matchesAny(bearer, [this.config.operatorToken, this.options.metricsToken])) {
      throw new ApplicationError('UNAUTHENTICATED', 401, 'The operator or metrics token is required');
    }
    // Key health and webhook figures are rendered from their Redis records on scrape (skipped while
    // Redis is down); the default registry holds cmk_dependency_up and cmk_dependency_outages_total.
    const fromRedis = this.dependencies.isUp('redis') ? [renderHealthMetrics(this.redis, this.health), renderWebhookMetrics(this.redis)] : [];
    const parts = await Promise.all([this.registry.metrics(), register.metrics(), ...fromRedis]);
    return parts.join('');
  }
}
