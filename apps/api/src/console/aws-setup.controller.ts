import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { OidcIssuer } from '@cmk/key-providers';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { OIDC_ISSUER } from '../tokens';
import { ApiErrors, ORG_ROUTE_ERRORS } from '../openapi/error-responses';
import { keyPolicyStatement, trustPolicy, ACCOUNT_PLACEHOLDER, ROLE_PLACEHOLDER } from './aws-policies';

export class PolicyPlaceholdersDto {
  @ApiProperty({ example: ACCOUNT_PLACEHOLDER })
  account!: string;

  @ApiProperty({ example: ROLE_PLACEHOLDER })
  role!: string;
}

export class AwsSetupDto {
  @ApiProperty({ description: 'The IAM OIDC identity provider URL to register', example: 'https://cmk.example.com/oidc' })
  providerUrl!: string;

  @ApiProperty({ description: 'The provider id in IAM condition keys (the URL without scheme)', example: 'cmk.example.com/oidc' })
  provider!: string;

  @ApiProperty({ description: 'The audience (client id) to register', example: 'aws:acme' })
  audience!: string;

  @ApiProperty({ description: 'The `sub` our tokens carry for this org', example: 'cmk:cmk:organization.login:acme' })
  subject!: string;

  @ApiProperty({ type: PolicyPlaceholdersDto, description: 'Placeholders in the policies to replace with your account id and role name' })
  placeholders!: PolicyPlaceholdersDto;

  @ApiProperty({ description: "The role's trust policy, ready to paste", type: 'object', additionalProperties: true })
  trustPolicy!: Record<string, unknown>;

  @ApiProperty({ description: 'A statement to add to the KMS key policy', type: 'object', additionalProperties: true })
  keyPolicyStatement!: Record<string, unknown>;

  @ApiProperty({ type: [String], description: 'The only KMS actions the service uses' })
  kmsActions!: string[];
}

/**
 * `GET …/customer-managed-keys/aws-setup` (admins): what this org must set up in AWS, from the
 * same issuer settings the verifier checks against, so the console's copy-paste JSON is exactly
 * what a successful verification needs.
 */
@ApiTags('customer-managed-keys')
@ApiBearerAuth()
@ApiParam({ name: 'org', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS)
@Controller('api/orgs/:org/customer-managed-keys/aws-setup')
@UseGuards(OrgAccessGuard)
@Roles('admin')
export class AwsSetupController {
  constructor(@Inject(OIDC_ISSUER) private readonly issuer: OidcIssuer) {}

  @ApiOperation({ summary: 'The IAM provider, trust policy and key policy this org needs' })
  @ApiOkResponse({ type: AwsSetupDto })
  @Get()
  setup(@Param('org') org: string): AwsSetupDto {
    const expected = this.issuer.expectationsFor(org);
    return {
      providerUrl: expected.issuer,
      provider: expected.provider,
      audience: expected.audience,
      subject: expected.subject,
      placeholders: { account: ACCOUNT_PLACEHOLDER, role: ROLE_PLACEHOLDER },
      trustPolicy: trustPolicy(expected),
      keyPolicyStatement: keyPolicyStatement(org),
      kmsActions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
    };
  }
}
