import { Inject, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express } from 'express';
import type { DependencyHealth, GracefulShutdown } from '@cmk/runtime';
import type { ApiConfig } from '../config';
import { API_CONFIG, DEPENDENCY_HEALTH, OPS_OPTIONS, OPS_QUEUES, SHUTDOWN } from '../tokens';
import { MetricsController } from './metrics.controller';
import { operatorOnly } from './operator-credentials';
import { OpsQueues } from './ops-queues';
import type { OpsModuleOptions } from './ops-options';

export type { OpsModuleOptions } from './ops-options';

/**
 * Operator pages: the BullMQ dashboard (bull-board) at `/admin/queues` and Prometheus metrics at
 * `/metrics`. The dashboard accepts `Bearer <CMK_OPERATOR_TOKEN>` or HTTP Basic with the token
 * as the password, so a browser can log in. It is read-only (bull-board's `readOnlyMode`: its
 * write routes answer 405) unless `CMK_QUEUE_DASHBOARD_WRITE=true`: a job's payload or state
 * changed there would bypass every check the api makes.
 */
@Module({})
export class OpsModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly http: HttpAdapterHost,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(OPS_OPTIONS) private readonly options: OpsModuleOptions,
    @Inject(OPS_QUEUES) private readonly queues: OpsQueues,
  ) {}

  static register(options: OpsModuleOptions = {}): DynamicModule {
    return {
      module: OpsModule,
      controllers: [MetricsController],
      providers: [
        { provide: OPS_OPTIONS, useValue: options },
        {
          provide: OPS_QUEUES,
          inject: [API_CONFIG, DEPENDENCY_HEALTH, SHUTDOWN],
          useFactory: (config: ApiConfig, health: DependencyHealth, shutdown: GracefulShutdown) => {
            const queues = new OpsQueues(config.redisUrl, health);
            // Also closed when a signal arrives before the app is up (closing twice is harmless).
            shutdown.register('ops queues', () => queues.close());
            return queues;
          },
        },
      ],
    };
  }

  /** Mounted on the Express instance directly: bull-board is an Express router with its own assets. */
  onModuleInit(): void {
    const path = this.options.dashboardPath ?? '/admin/queues';
    const board = new ExpressAdapter();
    board.setBasePath(path);
    createBullBoard({ queues: this.queues.all.map((queue) => new BullMQAdapter(queue, { readOnlyMode: !this.config.queueDashboardWritable })), serverAdapter: board });
    const app = this.http.httpAdapter.getInstance<Express>();
    app.use(path, operatorOnly([this.config.operatorToken]), board.getRouter());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queues.close();
  }
}
