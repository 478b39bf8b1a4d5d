import { Queue } from 'bullmq';
import { bullConnection, QUEUES } from '@cmk/reencryption';
import { HEALTH_QUEUE } from '@cmk/key-health';
import { WEBHOOK_QUEUE } from '@cmk/webhooks';

/** The worker fleet's queues as the api sees them (dashboard, queue depth); it never processes jobs. */
export class OpsQueues {
  readonly all: Queue[];

  constructor(redisUrl: string) {
    const connection = bullConnection(redisUrl, 'cmk-api-ops');
    this.all = [...Object.values(QUEUES), HEALTH_QUEUE, WEBHOOK_QUEUE].map((name) => new Queue(name, { connection }));
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((queue) => queue.close()));
  }
}
