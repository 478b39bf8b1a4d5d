import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CMK_EDITIONS, EDITIONS, ORG_ROLES } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { OrgDirectory } from '../auth/org-directory';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ApiErrors } from '../openapi/error-responses';

export class SessionOrgDto {
  @ApiProperty({ example: 'acme' })
  login!: string;

  @ApiProperty({ example: 'Acme Corp' })
  name!: string;

  @ApiProperty({ enum: EDITIONS })
  edition!: string;
}

export class SessionDto {
  @ApiProperty({ type: SessionOrgDto })
  org!: SessionOrgDto;

  @ApiProperty({ example: 'alice' })
  user!: string;

  @ApiProperty({ enum: ORG_ROLES, description: 'More roles may be added; clients should treat an unknown role as "cannot manage keys"' })
  role!: string;

  @ApiProperty()
  tokenId!: string;

  @ApiProperty({ description: 'Whether this org edition offers customer managed keys' })
  editionAllowsKeys!: boolean;

  @ApiProperty({ description: 'Whether this token may manage keys (admin role and a qualifying edition)' })
  canManageKeys!: boolean;

  @ApiProperty({ enum: EDITIONS, isArray: true, description: 'Editions that offer customer managed keys' })
  keyEditions!: string[];
}

/**
 * `GET /api/orgs/:org/session`: who this token is (org, display name, edition, user, role), for
 * any role, so a client can say what the token may do before trying. No secret is returned.
 */
@ApiTags('session')
@ApiBearerAuth()
@ApiParam({ name: 'org', example: 'acme' })
@ApiErrors('UNAUTHENTICATED', 'ORG_NOT_FOUND')
@Controller('api/orgs/:org/session')
@UseGuards(OrgAccessGuard)
@Roles(...ORG_ROLES)
export class SessionController {
  constructor(private readonly orgs: OrgDirectory) {}

  @ApiOperation({ summary: 'The org, user and role of this token' })
  @ApiOkResponse({ type: SessionDto })
  @Get()
  async session(@Param('org') org: string, @CurrentPrincipal() principal: Principal | undefined): Promise<SessionDto> {
    const state = await this.orgs.get(org);
    if (state.status !== 'registered' || principal?.kind !== 'user') throw new ApplicationError('ORG_NOT_FOUND', 404, `Organization ${org} not found`);
    const editionAllowsKeys = CMK_EDITIONS.includes(state.edition);
    return {
      org: { login: state.orgId, name: state.name, edition: state.edition },
      user: principal.user,
      role: principal.role,
      tokenId: principal.tokenId,
      editionAllowsKeys,
      canManageKeys: editionAllowsKeys && principal.role === 'admin',
      keyEditions: [...CMK_EDITIONS],
    };
  }
}
