import { Queue } from 'bullmq';
import { bullConnection, QUEUES } from '@cmk/reencryption';

/** The re-encryption queues as the api sees them (dashboard, queue depth); it never processes jobs. */
export class OpsQueues {
  readonly all: Queue[];

  constructor(redisUrl: string) {
    const connection = bullConnection(redisUrl, 'cmk-api-ops');
    this.all = Object.values(QUEUES).map((name) => new Queue(name, { connection }));
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((queue) => queue.close()));
  }
}
