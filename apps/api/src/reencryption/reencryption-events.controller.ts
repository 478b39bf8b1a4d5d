import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '@cmk/domain';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { LiveReencryptionService } from './live-reencryption.service';
import { ApiErrors, ORG_ROUTE_ERRORS } from '../openapi/error-responses';

/** How often the stream looks for a change; the banner's counters move per batch. */
const POLL_MS = 1_000;

/**
 * `GET /api/orgs/:org/customer-managed-keys/reencryption/events` (admins): Server-Sent Events
 * with the same object as `GET …/reencryption`, sent when it changes, while the run is running.
 * The stream ends after the event that shows the run finished (or at once, with one event, when
 * no run is running). Clients reconnect with `EventSource` as usual.
 */
@ApiTags('customer-managed-keys')
@ApiBearerAuth()
@ApiParam({ name: 'org', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS)
@Controller('api/orgs/:org/customer-managed-keys/reencryption')
@UseGuards(OrgAccessGuard)
@Roles('admin', 'auditor')
export class ReencryptionEventsController {
  constructor(private readonly live: LiveReencryptionService) {}

  @ApiOperation({ summary: 'Server-Sent Events of the running re-encryption (Authorization header)', description: 'Each `reencryption` event carries the same object as `GET …/reencryption`. Browsers, whose EventSource cannot send a header, use `POST …/reencryption/stream-tickets` and `GET …/reencryption/stream`.' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An SSE stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors('REENCRYPTION_NOT_FOUND')
  @Get('events')
  async events(@Param('org') org: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    let banner = await this.live.banner(org);
    if (!banner) throw new DomainError('REENCRYPTION_NOT_FOUND', 'This organization has had no re-encryption yet');
    response.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    response.flushHeaders();
    let closed = false;
    request.on('close', () => (closed = true));
    let last = '';
    while (!closed && banner) {
      const text = JSON.stringify(banner);
      if (text !== last) {
        response.write(`event: reencryption\nid: ${banner.id}-${banner.done + banner.failed}\ndata: ${text}\n\n`);
        last = text;
      }
      if (banner.state !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      banner = await this.live.banner(org);
    }
    response.end();
  }
}
