import { Inject, Module } from '@nestjs/common';
import type { ApiMetrics } from '../ops/api-metrics';
import { API_METRICS } from '../tokens';
import { LiveReencryptionService } from './live-reencryption.service';
import { ProgressHub } from './progress-hub';
import { ProgressStreams } from './progress-streams';
import { ReencryptionEventsController } from './reencryption-events.controller';
import { StreamSlots } from './stream-slots';

/**
 * Live re-encryption progress: `LiveReencryptionService` (exported, for `GET …/reencryption`),
 * the bounded progress streams (`ProgressStreams`, exported for the console's stream: one hub
 * and one set of caps for every stream of this replica) and the SSE route for bearer clients.
 * Needs the global InfrastructureModule (Redis, the read-model queries, the event store).
 */
@Module({
  controllers: [ReencryptionEventsController],
  providers: [LiveReencryptionService, ProgressHub, StreamSlots, ProgressStreams],
  exports: [LiveReencryptionService, ProgressStreams, ProgressHub, StreamSlots],
})
export class ReencryptionApiModule {
  constructor(@Inject(API_METRICS) metrics: ApiMetrics, hub: ProgressHub, slots: StreamSlots) {
    metrics.watchLiveStreams({ open: () => slots.total, pollLoops: () => hub.loopCount, polls: () => hub.polls, refused: () => slots.refused });
  }
}
