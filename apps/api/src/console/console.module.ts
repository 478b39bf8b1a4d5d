import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Express } from 'express';
import { ReencryptionApiModule } from '../reencryption';
import { AwsSetupController } from './aws-setup.controller';
import { ProgressStreamController } from './progress-stream.controller';
import { SessionController } from './session.controller';
import { StreamTickets } from './stream-tickets';
import { consoleRouter } from './static-console';

/**
 * What the browser console needs beyond the plain API: who a token is, the org's AWS setup,
 * a progress stream an EventSource can open, and the console's own static files at `/console`
 * (same origin, so no CORS and no token in any URL).
 */
@Module({
  imports: [ReencryptionApiModule],
  controllers: [SessionController, AwsSetupController, ProgressStreamController],
  providers: [StreamTickets],
})
export class ConsoleApiModule implements OnModuleInit {
  constructor(private readonly http: HttpAdapterHost) {}

  onModuleInit(): void {
    this.http.httpAdapter.getInstance<Express>().use('/console', consoleRouter());
  }
}
