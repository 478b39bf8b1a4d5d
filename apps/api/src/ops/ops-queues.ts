import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { bullConnection, QUEUES } from '@cmk/reencryption';
import { HEALTH_QUEUE } from '@cmk/key-health';
import { WEBHOOK_QUEUE } from '@cmk/webhooks';
import type { DependencyHealth } from '@cmk/runtime';

const logger = new Logger('ops');

/** The worker fleet's queues as the api sees them (dashboard, queue depth); it never processes jobs. */
export class OpsQueues {
  readonly all: Queue[];

  constructor(
    redisUrl: string,
    private readonly health: DependencyHealth,
  ) {
    const connection = bullConnection(redisUrl, 'cmk-api-ops');
    this.all = [...Object.values(QUEUES), HEALTH_QUEUE, WEBHOOK_QUEUE].map((name) => new Queue(name, { connection }));
    // Without an 'error' listener BullMQ prints each connection error raw on stderr.
    for (const queue of this.all) {
      queue.on('error', (error) => {
        if (!health.noticed(error, `queue ${queue.name}`)) logger.warn(`queue ${queue.name}: ${error.message}`);
      });
    }
  }

  /** Redis unreachable: QUIT would wait for it forever, so the connections are dropped instead. */
  async close(): Promise<void> {
    if (this.health.isUp('redis')) await Promise.all(this.all.map((queue) => queue.close()));
    else await Promise.all(this.all.map((queue) => queue.disconnect()));
  }
}
