import { ApiProperty } from '@nestjs/swagger';
import { EDITIONS, ORG_ROLES } from '@cmk/domain';

/** Response shapes of the operator routes, for the OpenAPI document. */

export class OrgEditionDto {
  @ApiProperty({ example: 'acme' })
  orgId!: string;

  @ApiProperty({ enum: EDITIONS })
  edition!: string;
}

export class IssuedTokenDto {
  @ApiProperty({ description: 'Shown once; only its SHA-256 is stored', example: 'cmk.acme.0f3e…' })
  token!: string;

  @ApiProperty({ example: '0f3e5a7c9b1d4e2f8a6c0b3d5e7f9a1c' })
  tokenId!: string;

  @ApiProperty({ example: 'alice' })
  user!: string;

  @ApiProperty({ enum: ORG_ROLES })
  role!: string;
}

export class RevokedTokenDto {
  @ApiProperty()
  tokenId!: string;

  @ApiProperty({ enum: [true] })
  revoked!: true;
}
