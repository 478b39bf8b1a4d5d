import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';

/** `/healthz` and `/readyz`. Needs `EVENT_STORE`, `REDIS` and the projections (InfrastructureModule). */
@Module({ controllers: [HealthController] })
export class HealthModule {}
