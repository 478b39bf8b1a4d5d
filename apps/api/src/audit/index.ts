export { AuditApiModule } from './audit.module';
export { AuditService } from './audit.service';
