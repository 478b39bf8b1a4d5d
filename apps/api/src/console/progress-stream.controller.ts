import { Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { activeToken } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { OrgDirectory } from '../auth/org-directory';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ProgressStreams } from '../reencryption';
import { ApiErrors, ORG_ROUTE_ERRORS } from '../openapi/error-responses';
import { StreamTickets, TICKET_TTL_SECONDS, type StreamGrant } from './stream-tickets';

export class StreamTicketDto {
  @ApiProperty({ description: `Opens GET …/reencryption/stream for ${TICKET_TTL_SECONDS} s; not an access token` })
  ticket!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

const invalidTicket = () => new ApplicationError('INVALID_TICKET', 401, 'The stream ticket is missing, expired, or for another organization; request a new one');

/**
 * The browser's live progress: `POST …/reencryption/stream-tickets` (bearer, admin) returns a
 * ticket; `GET …/reencryption/stream?ticket=…` is a Server-Sent Events stream that an
 * `EventSource` can open. Unlike `…/reencryption/events` it stays open between runs (an event
 * `reencryption` whenever the banner changes, `idle` before the first run), sends heartbeat
 * comments, tells the client to reconnect after 3 s, and ends after `CMK_STREAM_MAX_SECONDS`
 * (the client reconnects with a fresh ticket: the grant is re-issued, never extended) or when the
 * token is revoked. Bounded like every progress stream (`ProgressStreams`).
 */
@ApiTags('customer-managed-keys')
@ApiParam({ name: 'org', example: 'acme' })
@Controller('api/orgs/:org/customer-managed-keys/reencryption')
export class ProgressStreamController {
  constructor(
    private readonly tickets: StreamTickets,
    private readonly orgs: OrgDirectory,
    private readonly streams: ProgressStreams,
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

  @ApiOperation({ summary: 'Server-Sent Events of re-encryption progress, for EventSource', description: 'Events `reencryption` (the `GET …/reencryption` object) and `idle`; `: heartbeat` comments. Ends when the token is revoked and after `CMK_STREAM_MAX_SECONDS`.' })
  @ApiQuery({ name: 'ticket', required: true, description: 'From `POST …/reencryption/stream-tickets`' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An SSE stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors('INVALID_TICKET', 'STREAM_LIMIT_REACHED', 'STREAM_CAPACITY_REACHED')
  @Get('stream')
  async stream(@Param('org') org: string, @Query('ticket') ticket: unknown, @Res() response: Response): Promise<void> {
    const grant = typeof ticket === 'string' ? await this.tickets.redeem(ticket, org) : undefined;
    if (!grant || !(await this.stillAllowed(grant))) throw invalidTicket();
    await this.streams.serve({ orgId: org, response, mode: 'console', allowed: () => this.stillAllowed(grant) });
  }

  /** The token behind the ticket is still active and still an admin (revocation ends the stream). */
  private async stillAllowed(grant: StreamGrant): Promise<boolean> {
    const entry = activeToken(await this.orgs.get(grant.orgId), grant.tokenId);
    return entry?.role === 'admin';
  }
}
