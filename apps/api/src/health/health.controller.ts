import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { EVENT_STORE, formatPosition, type EventStore } from '@cmk/eventstore';
import type { ProjectionRunner } from '@cmk/read-models';
import { PROJECTIONS, REDIS } from '../tokens';
import { LivenessDto, ReadinessDto } from './responses';

async function check(name: string, probe: () => Promise<unknown>): Promise<{ name: string; ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out after 2 s')), 2_000);
  });
  try {
    const detail = await Promise.race([probe(), timeout]);
    return { name, ok: true, ...(typeof detail === 'string' ? { detail } : {}) };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : 'failed' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: the process is up (liveness; never touches dependencies).
 * `/readyz`: the event store and Redis answer, with the projection checkpoint (readiness).
 */
@ApiTags('probes')
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(PROJECTIONS) private readonly projections: ProjectionRunner,
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
    const checks = await Promise.all([
      check('eventStore', async () => formatPosition(await this.store.headPosition())),
      check('redis', () => this.redis.ping()),
    ]);
    const ready = checks.every((c) => c.ok);
    response.status(ready ? 200 : 503);
    const position = this.projections.position();
    return { status: ready ? 'ready' : 'unavailable', checks, projections: { position: position ? formatPosition(position) : null } };
  }
}
