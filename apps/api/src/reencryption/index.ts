export { ReencryptionApiModule } from './reencryption.module';
export { LiveReencryptionService } from './live-reencryption.service';
