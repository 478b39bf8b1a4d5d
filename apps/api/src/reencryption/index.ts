export { ReencryptionApiModule } from './reencryption.module';
export { LiveReencryptionService } from './live-reencryption.service';
export { ProgressStreams } from './progress-streams';
export { ProgressHub } from './progress-hub';
export { StreamSlots } from './stream-slots';
