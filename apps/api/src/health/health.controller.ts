import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { EVENT_STORE, formatPosition, type EventStore } from '@cmk/eventstore';
import type { ProjectionRunner } from '@cmk/read-models';
import { ProbeTimeoutError, redisProbe, withTimeout, type Dependency, type DependencyHealth } from '@cmk/runtime';
import { DEPENDENCY_HEALTH, PROJECTIONS, REDIS } from '../tokens';
import { LivenessDto, ReadinessDto } from './responses';

async function check(name: string, probe: () => Promise<unknown>): Promise<{ name: string; ok: boolean; detail?: string; error?: unknown }> {
  try {
    const detail = await withTimeout(probe(), 2_000);
    return { name, ok: true, ...(typeof detail === 'string' ? { detail } : {}) };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : 'failed', error };
  }
}

/**
 * `/healthz`: the process is up (liveness; never touches dependencies).
 * `/readyz`: the event store and Redis answer now and no outage of either is in progress (a
 * SQLite file locked by another process still answers reads), with each dependency's outage
 * state and the projection checkpoint (readiness).
 * Never rate limited: a refused probe would take a healthy replica out of service.
 */
@ApiTags('probes')
@SkipThrottle()
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(PROJECTIONS) private readonly projections: ProjectionRunner,
    @Inject(DEPENDENCY_HEALTH) private readonly dependencies: DependencyHealth,
  ) {}

  @ApiOperation({ summary: 'Liveness', description: 'Touches no dependency.' })
  @ApiOkResponse({ type: LivenessDto })
  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  @ApiOperation({ summary: 'Readiness', description: 'Event store and Redis answer within 2 s; the projection position.' })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'A dependency did not answer' })
  @Get('readyz')
  async ready(@Res({ passthrough: true }) response: Response) {
    const ping = redisProbe(this.redis);
    const checks = await Promise.all([
      check('eventStore', async () => formatPosition(await this.store.headPosition())),
      check('redis', async () => {
        await ping();
        return 'PONG';
      }),
    ]);
    // A failed check is an outage like any other: the same state, line and metrics as the probes'.
    // A slow answer only makes this answer 503: the probes decide whether slowness is an outage.
    checks.forEach(({ ok, error }, i) => {
      if (!ok && !(error instanceof ProbeTimeoutError)) this.dependencies.failure((['eventstore', 'redis'] as const satisfies readonly Dependency[])[i], error, 'readiness check');
    });
    const dependencies = this.dependencies.status();
    const ready = checks.every((c) => c.ok) && dependencies.every((d) => d.up);
    response.status(ready ? 200 : 503);
    const position = this.projections.position();
    return { status: ready ? 'ready' : 'unavailable', checks: checks.map(({ error: _error, ...shown }) => shown), dependencies, projections: { position: position ? formatPosition(position) : null } };
  }
}
