import { Controller, Get, Header, Inject, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApplicationError } from '@cmk/application';
import { dataKeyLineage, readFeed } from '@cmk/audit';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import type { Response } from 'express';
import { OperatorGuard, OrgAccessGuard, Roles } from '../auth/guards';
import { OrgDirectory } from '../auth/org-directory';
import { AuditService } from './audit.service';
import { streamLines } from './ndjson';

/** The org's audit feed, export and data-key lineage: auditors and admins. */
@Controller('api/orgs/:org')
@UseGuards(OrgAccessGuard)
@Roles('admin', 'auditor')
export class AuditController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly audit: AuditService,
  ) {}

  /** `?after=<cursor>&limit=<1-500>&type=A,B&actor=user:alice&from=<RFC 3339>&to=<RFC 3339>` */
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
  @Get('audit/export')
  async export(@Param('org') org: string, @Res() res: Response, @Query('since') since?: string) {
    streamLines(await this.audit.export(org, since), res);
  }

  @Get('data-keys/:dataKeyId/lineage')
  lineage(@Param('org') org: string, @Param('dataKeyId') dataKeyId: string) {
    return dataKeyLineage(this.store, org, dataKeyId);
  }
}

/** The operator's export (what `cli audit export` calls): any org, no org token needed. */
@Controller('api/admin/orgs/:org/audit')
@UseGuards(OperatorGuard)
export class AdminAuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly orgs: OrgDirectory,
  ) {}

  @Get('export')
  async export(@Param('org') org: string, @Res() res: Response, @Query('since') since?: string) {
    if ((await this.orgs.get(org)).status !== 'registered') throw new ApplicationError('ORG_NOT_FOUND', 404, `Organization ${org} not found`);
    streamLines(await this.audit.export(org, since), res);
  }
}

/** Public keys that verify audit digests, including retired OIDC keys that ever signed one. */
@Controller('audit/.well-known')
export class AuditJwksController {
  constructor(private readonly audit: AuditService) {}

  @Get('jwks')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.audit.digestKeys();
  }
}
