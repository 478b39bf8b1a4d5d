import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { activeToken } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { OrgDirectory } from '../auth/org-directory';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { LiveReencryptionService } from '../reencryption';
import { ApiErrors, ORG_ROUTE_ERRORS } from '../openapi/error-responses';
import { StreamTickets, TICKET_TTL_SECONDS, type StreamGrant } from './stream-tickets';

export class StreamTicketDto {
  @ApiProperty({ description: `Opens GET …/reencryption/stream for ${TICKET_TTL_SECONDS} s; not an access token` })
  ticket!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

const POLL_MS = 1_000;
/** A stream ends after this long; the client reconnects with a fresh ticket (the grant is re-issued, never extended). */
const MAX_STREAM_MS = 5 * 60_000;

const invalidTicket = () => new ApplicationError('INVALID_TICKET', 401, 'The stream ticket is missing, expired, or for another organization; request a new one');

/**
 * The browser's live progress: `POST …/reencryption/stream-tickets` (bearer, admin) returns a
 * ticket; `GET …/reencryption/stream?ticket=…` is a Server-Sent Events stream that an
 * `EventSource` can open. Unlike `…/reencryption/events` it stays open between runs (an event
 * `reencryption` whenever the banner changes, `idle` before the first run), sends heartbeat
 * comments, tells the client to reconnect after 3 s, and ends after five minutes or when the
 * token is revoked or loses the admin role.
 */
@ApiTags('customer-managed-keys')
@ApiParam({ name: 'org', example: 'acme' })
@Controller('api/orgs/:org/customer-managed-keys/reencryption')
export class ProgressStreamController {
  constructor(
    private readonly tickets: StreamTickets,
    private readonly orgs: OrgDirectory,
    private readonly live: LiveReencryptionService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @ApiOperation({ summary: 'A ticket for the browser progress stream', description: 'Bound to this org and this token; single purpose; valid for a minute.' })
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: StreamTicketDto })
  @ApiErrors(ORG_ROUTE_ERRORS)
  @UseGuards(OrgAccessGuard)
  @Roles('admin')
  @Post('stream-tickets')
  @HttpCode(201)
  ticket(@Param('org') org: string, @CurrentPrincipal() principal: Principal | undefined): Promise<StreamTicketDto> {
    if (principal?.kind !== 'user') throw new ApplicationError('UNAUTHENTICATED', 401, 'A valid bearer token is required');
    return this.tickets.issue({ orgId: org, tokenId: principal.tokenId });
  }

  @ApiOperation({ summary: 'Server-Sent Events of re-encryption progress, for EventSource', description: 'Events `reencryption` (the `GET …/reencryption` object) and `idle`; `: heartbeat` comments.' })
  @ApiQuery({ name: 'ticket', required: true, description: 'From `POST …/reencryption/stream-tickets`' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An SSE stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors('INVALID_TICKET')
  @Get('stream')
  async stream(@Param('org') org: string, @Query('ticket') ticket: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    const grant = typeof ticket === 'string' ? await this.tickets.redeem(ticket, org) : undefined;
    if (!grant || !(await this.stillAllowed(grant))) throw invalidTicket();
    response.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    response.flushHeaders();
    response.write('retry: 3000\n\n');
    let closed = false;
    request.on('close', () => (closed = true));
    const endAt = Date.now() + MAX_STREAM_MS;
    let lastSent = '';
    let lastWrite = Date.now();
    while (!closed && Date.now() < endAt) {
      const banner = await this.live.banner(org);
      const text = banner ? JSON.stringify(banner) : 'null';
      if (text !== lastSent) {
        response.write(banner ? `event: reencryption\nid: ${banner.id}-${banner.done + banner.failed}\ndata: ${text}\n\n` : 'event: idle\ndata: null\n\n');
        lastSent = text;
        lastWrite = Date.now();
      } else if (Date.now() - lastWrite >= this.config.streamHeartbeatMs) {
        response.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, this.config.streamHeartbeatMs)));
      if (!(await this.stillAllowed(grant))) break;
    }
    response.end();
  }

  /** The token behind the ticket is still active and still an admin (revocation ends the stream). */
  private async stillAllowed(grant: StreamGrant): Promise<boolean> {
    const entry = activeToken(await this.orgs.get(grant.orgId), grant.tokenId);
    return entry?.role === 'admin';
  }
}
