import { ApiProperty } from '@nestjs/swagger';

/** Response shapes of the secrets and data-key routes, for the OpenAPI document. */

export class CiphertextsDto {
  @ApiProperty({ type: [String], example: ['v1.dk_3a9f….nonce.sealed'], description: 'In the order of `values`' })
  ciphertexts!: string[];
}

export class PlaintextsDto {
  @ApiProperty({ type: [String], example: ['db-password'], description: 'In the order of `ciphertexts`' })
  values!: string[];
}

export class WrappingKeySummaryDto {
  @ApiProperty({ example: 'platform' })
  keyId!: string;

  @ApiProperty({ example: 'Platform managed key' })
  name!: string;

  @ApiProperty({ enum: ['platform', 'aws_kms'] })
  type!: string;

  @ApiProperty({ description: '`active` for the platform key; `unknown` while the key list catches up', example: 'active' })
  state!: string;

  @ApiProperty()
  isDefault!: boolean;

  @ApiProperty({ minimum: 0 })
  dataKeys!: number;
}

export class DataKeySummaryDto {
  @ApiProperty({ type: [WrappingKeySummaryDto], description: 'The platform key first, then every key in the order added' })
  wrappingKeys!: WrappingKeySummaryDto[];

  @ApiProperty({ minimum: 0 })
  totalDataKeys!: number;
}
