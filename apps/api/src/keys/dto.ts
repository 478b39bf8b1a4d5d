import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Equals, IsDefined, IsNotEmptyObject, IsString, Length, ValidateNested } from 'class-validator';

export class AwsKmsDto {
  /** `arn:aws:iam::<account>:role/<path/name>`; the domain checks the exact shape. */
  @ApiProperty({ example: 'arn:aws:iam::111122223333:role/cmk-acme', minLength: 1, maxLength: 2048 })
  @IsString()
  @Length(1, 2048)
  roleArn!: string;

  /** A key ARN or an alias ARN. */
  @ApiProperty({ example: 'arn:aws:kms:us-east-1:111122223333:alias/acme-secrets', description: 'A key ARN or an alias ARN', minLength: 1, maxLength: 2048 })
  @IsString()
  @Length(1, 2048)
  keyArn!: string;
}

export class AddKeyDto {
  @ApiProperty({ example: 'Production', minLength: 1, maxLength: 256 })
  @IsString()
  @Length(1, 256)
  name!: string;

  @ApiProperty({ enum: ['aws_kms'] })
  @Equals('aws_kms', { message: 'type must be "aws_kms"' })
  type!: 'aws_kms';

  @ApiProperty({ type: AwsKmsDto })
  @IsDefined()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => AwsKmsDto)
  awsKms!: AwsKmsDto;
}

export class DisableKeyDto {
  /** The key that takes over this key's data keys: another active key, or `platform`. */
  @ApiProperty({ example: 'platform', description: 'Another active key id, or `platform`', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  destID!: string;
}
