import { Module } from '@nestjs/common';
import { LiveReencryptionService } from './live-reencryption.service';
import { ReencryptionEventsController } from './reencryption-events.controller';

/**
 * Live re-encryption progress for admins: `LiveReencryptionService` (exported, for
 * `GET …/reencryption`) and the SSE stream. Needs the global InfrastructureModule (Redis, the
 * read-model queries, the event store).
 */
@Module({
  controllers: [ReencryptionEventsController],
  providers: [LiveReencryptionService],
  exports: [LiveReencryptionService],
})
export class ReencryptionApiModule {}
