import { Controller, Get, Header, Inject, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ORG_ROUTE_ERRORS } from '../openapi/error-responses';
import { JwksDto } from '../oidc/responses';
import { ApplicationError } from '@cmk/application';
import { dataKeyLineage, readFeed } from '@cmk/audit';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import type { Response } from 'express';
import { OperatorGuard, OrgAccessGuard, Roles } from '../auth/guards';
import { OrgDirectory } from '../auth/org-directory';
import { AuditService } from './audit.service';
import { streamLines } from './ndjson';

const FEED_SCHEMA = { type: 'object', properties: { events: { type: 'array', items: { type: 'object' } }, nextCursor: { type: 'string', nullable: true } } };
const LINEAGE_SCHEMA = { type: 'object', properties: { dataKeyId: { type: 'string' }, scope: { type: 'string' }, wraps: { type: 'array', items: { type: 'object' } } } };
const EXPORT_DESCRIPTION = 'JSON Lines (cmk-audit-export/1): header, keys, events, chain links and signed digests, end';

/** The org's audit feed, export and data-key lineage: auditors and admins. */
@ApiTags('audit')
@ApiBearerAuth()
@ApiParam({ name: 'org', description: 'Organisation login', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS)
@Controller('api/orgs/:org')
@UseGuards(OrgAccessGuard)
@Roles('admin', 'auditor')
export class AuditController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly audit: AuditService,
  ) {}

  /** `?after=<cursor>&limit=<1-500>&type=A,B&actor=user:alice&from=<RFC 3339>&to=<RFC 3339>` */
  @ApiOperation({ summary: 'The org audit feed', description: 'Every event about the org in commit order, secrets redacted, paged by a stable cursor.' })
  @ApiQuery({ name: 'after', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500 (default 100)' })
  @ApiQuery({ name: 'type', required: false, description: 'Comma-separated event types' })
  @ApiQuery({ name: 'actor', required: false, description: 'e.g. user:alice, operator, system' })
  @ApiQuery({ name: 'from', required: false, description: 'RFC 3339, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'RFC 3339, inclusive' })
  @ApiOkResponse({ schema: FEED_SCHEMA })
  @ApiErrors('VALIDATION_FAILED')
  @Get('audit')
  feed(
    @Param('org') org: string,
    @Query('after') after?: string,
    @Query('limit') limit?: string,
    @Query('type') type?: string,
    @Query('actor') actor?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
  ) {
    return readFeed(this.store, org, { after, limit, type, actor, from, to });
  }

  /** JSON Lines of the whole history with its chain and digests (`?since=<RFC 3339>`). */
  @ApiOperation({ summary: 'Export the audit history', description: EXPORT_DESCRIPTION })
  @ApiQuery({ name: 'since', required: false, description: 'RFC 3339: from the first chain batch reaching it' })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: EXPORT_DESCRIPTION })
  @ApiErrors('VALIDATION_FAILED')
  @Get('audit/export')
  async export(@Param('org') org: string, @Res() res: Response, @Query('since') since?: string) {
    streamLines(await this.audit.export(org, since), res);
  }

  @ApiOperation({ summary: 'Every wrap of a data key', description: 'Wrapping key, key reference, time and run, oldest first; never key bytes.' })
  @ApiParam({ name: 'dataKeyId', example: 'dk0123456789abcdef0123456789abcdef01234567' })
  @ApiOkResponse({ schema: LINEAGE_SCHEMA })
  @ApiErrors('DATA_KEY_NOT_FOUND')
  @Get('data-keys/:dataKeyId/lineage')
  lineage(@Param('org') org: string, @Param('dataKeyId') dataKeyId: string) {
    return dataKeyLineage(this.store, org, dataKeyId);
  }
}

/** The operator's export (what `cli audit export` calls): any org, no org token needed. */
@ApiTags('operator')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED')
@Controller('api/admin/orgs/:org/audit')
@UseGuards(OperatorGuard)
export class AdminAuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly orgs: OrgDirectory,
  ) {}

  @ApiOperation({ summary: 'Export an org audit history (operator)', description: EXPORT_DESCRIPTION })
  @ApiParam({ name: 'org', example: 'acme' })
  @ApiQuery({ name: 'since', required: false, description: 'RFC 3339: from the first chain batch reaching it' })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: EXPORT_DESCRIPTION })
  @ApiErrors('ORG_NOT_FOUND', 'VALIDATION_FAILED')
  @Get('export')
  async exportAsOperator(@Param('org') org: string, @Res() res: Response, @Query('since') since?: string) {
    if ((await this.orgs.get(org)).status !== 'registered') throw new ApplicationError('ORG_NOT_FOUND', 404, `Organization ${org} not found`);
    streamLines(await this.audit.export(org, since), res);
  }
}

/** Public keys that verify audit digests, including retired OIDC keys that ever signed one. */
@ApiTags('audit')
@Controller('audit/.well-known')
export class AuditJwksController {
  constructor(private readonly audit: AuditService) {}

  @ApiOperation({ summary: 'Keys that verify audit digests', description: 'Today\'s OIDC keys and every key that ever signed a digest.' })
  @ApiOkResponse({ type: JwksDto })
  @Get('jwks')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.audit.digestKeys();
  }
}
