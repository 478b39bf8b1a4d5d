import { Type } from 'class-transformer';
import { Equals, IsDefined, IsNotEmptyObject, IsString, Length, ValidateNested } from 'class-validator';

export class AwsKmsDto {
  /** `arn:aws:iam::<account>:role/<path/name>`; the domain checks the exact shape. */
  @IsString()
  @Length(1, 2048)
  roleArn!: string;

  /** A key ARN or an alias ARN. */
  @IsString()
  @Length(1, 2048)
  keyArn!: string;
}

export class AddKeyDto {
  @IsString()
  @Length(1, 256)
  name!: string;

  @Equals('aws_kms', { message: 'type must be "aws_kms"' })
  type!: 'aws_kms';

  @IsDefined()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => AwsKmsDto)
  awsKms!: AwsKmsDto;
}

export class DisableKeyDto {
  /** The key that takes over this key's data keys: another active key, or `platform`. */
  @IsString()
  @Length(1, 128)
  destID!: string;
}
