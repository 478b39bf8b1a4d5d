import { ApiProperty } from '@nestjs/swagger';

/** Response shapes of our public OIDC discovery routes, for the OpenAPI document. */

export class OpenIdConfigurationDto {
  @ApiProperty({ example: 'https://cmk.example.com/oidc' })
  issuer!: string;

  @ApiProperty({ example: 'https://cmk.example.com/oidc/.well-known/jwks' })
  jwks_uri!: string;

  @ApiProperty({ type: [String] })
  response_types_supported!: string[];

  @ApiProperty({ type: [String] })
  subject_types_supported!: string[];

  @ApiProperty({ type: [String] })
  id_token_signing_alg_values_supported!: string[];

  @ApiProperty({ type: [String] })
  claims_supported!: string[];
}

export class PublicJwkDto {
  @ApiProperty({ example: 'RSA' })
  kty!: string;

  @ApiProperty()
  kid!: string;

  @ApiProperty({ example: 'RS256' })
  alg!: string;

  @ApiProperty({ enum: ['sig'] })
  use!: string;

  @ApiProperty()
  n!: string;

  @ApiProperty()
  e!: string;
}

export class JwksDto {
  @ApiProperty({ type: [PublicJwkDto] })
  keys!: PublicJwkDto[];
}
