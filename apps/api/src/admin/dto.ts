import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { EDITIONS, ORG_LOGIN_PATTERN, ORG_ROLES, type Edition, type OrgRole } from '@cmk/domain';

export class CreateOrgDto {
  @ApiProperty({ example: 'acme', pattern: ORG_LOGIN_PATTERN.source })
  @IsString()
  @Matches(ORG_LOGIN_PATTERN, { message: 'login must be 1-39 lowercase letters, digits or dashes, starting with a letter or digit' })
  login!: string;

  @ApiProperty({ enum: EDITIONS })
  @IsIn(EDITIONS)
  edition!: Edition;

  /** Display name (1-100 characters, the organisation decider's limit); defaults to the login. */
  @ApiPropertyOptional({ example: 'Acme Corp', minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;
}

export class ChangeEditionDto {
  @ApiProperty({ enum: EDITIONS })
  @IsIn(EDITIONS)
  edition!: Edition;
}

export class IssueTokenDto {
  @ApiProperty({ example: 'alice', pattern: '^[A-Za-z0-9._@-]{1,64}$' })
  @IsString()
  @Matches(/^[A-Za-z0-9._@-]{1,64}$/, { message: 'user must be 1-64 letters, digits or . _ @ -' })
  user!: string;

  @ApiProperty({ enum: ORG_ROLES })
  @IsIn(ORG_ROLES)
  role!: OrgRole;
}
