import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { OidcIssuer, OpenIdConfiguration, PublicJwk } from '@cmk/key-providers';
import { OIDC_ISSUER } from '../tokens';
import { JwksDto, OpenIdConfigurationDto } from './responses';

/**
 * The public half of our OIDC identity provider: AWS STS fetches these (unauthenticated) to
 * verify the tokens we present to `sts:AssumeRoleWithWebIdentity`. Only public key parts leave.
 * The JWKS is cacheable briefly: a rotated-in key must reach relying parties before it signs.
 */
@ApiTags('oidc')
@Controller('oidc/.well-known')
export class OidcController {
  constructor(@Inject(OIDC_ISSUER) private readonly issuer: OidcIssuer) {}

  @ApiOperation({ summary: 'OIDC discovery document', description: 'Fetched by AWS STS.' })
  @ApiOkResponse({ type: OpenIdConfigurationDto })
  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=3600')
  openIdConfiguration(): OpenIdConfiguration {
    return this.issuer.openIdConfiguration();
  }

  @ApiOperation({ summary: 'Public signing keys', description: 'Fetched by AWS STS.' })
  @ApiOkResponse({ type: JwksDto })
  @Get('jwks')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): Promise<{ keys: PublicJwk[] }> {
    return this.issuer.jwks();
  }
}
