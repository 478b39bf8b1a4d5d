import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { activeToken, DomainError } from '@cmk/domain';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { OrgDirectory } from '../auth/org-directory';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { LiveReencryptionService } from './live-reencryption.service';
import { ProgressStreams } from './progress-streams';
import { ApiErrors, ORG_ROUTE_ERRORS } from '../openapi/error-responses';

/**
 * `GET /api/orgs/:org/customer-managed-keys/reencryption/events` (admins, auditors): Server-Sent
 * Events with the same object as `GET …/reencryption`, sent when it changes, while the run is
 * running. The stream ends after the event that shows the run finished (or at once, with one
 * event, when no run is running), when the token is revoked, or after `CMK_STREAM_MAX_SECONDS`;
 * clients reconnect with `EventSource` as usual. Bounded like every progress stream
 * (`ProgressStreams`: caps, the org's shared poll, heartbeats).
 */
@ApiTags('customer-managed-keys')
@ApiBearerAuth()
@ApiParam({ name: 'org', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS)
@Controller('api/orgs/:org/customer-managed-keys/reencryption')
@UseGuards(OrgAccessGuard)
@Roles('admin', 'auditor')
export class ReencryptionEventsController {
  constructor(
    private readonly live: LiveReencryptionService,
    private readonly streams: ProgressStreams,
    private readonly orgs: OrgDirectory,
  ) {}

  @ApiOperation({ summary: 'Server-Sent Events of the running re-encryption (Authorization header)', description: 'Each `reencryption` event carries the same object as `GET …/reencryption`. Browsers, whose EventSource cannot send a header, use `POST …/reencryption/stream-tickets` and `GET …/reencryption/stream`.' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An SSE stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors('REENCRYPTION_NOT_FOUND', 'STREAM_LIMIT_REACHED', 'STREAM_CAPACITY_REACHED')
  @Get('events')
  async events(@Param('org') org: string, @CurrentPrincipal() principal: Principal | undefined, @Res() response: Response): Promise<void> {
    if (!(await this.live.banner(org))) throw new DomainError('REENCRYPTION_NOT_FOUND', 'This organization has had no re-encryption yet');
    const tokenId = principal?.kind === 'user' ? principal.tokenId : undefined;
    await this.streams.serve({
      orgId: org,
      response,
      mode: 'run',
      allowed: async () => tokenId !== undefined && activeToken(await this.orgs.get(org), tokenId) !== undefined,
    });
  }
}
