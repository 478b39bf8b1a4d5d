import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { EDITIONS, ORG_LOGIN_PATTERN, ORG_ROLES, type Edition, type OrgRole } from '@cmk/domain';

export class CreateOrgDto {
  @IsString()
  @Matches(ORG_LOGIN_PATTERN, { message: 'login must be 1-39 lowercase letters, digits or dashes, starting with a letter or digit' })
  login!: string;

  @IsIn(EDITIONS)
  edition!: Edition;

  /** Display name (1-100 characters, the organisation decider's limit); defaults to the login. */
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;
}

export class ChangeEditionDto {
  @IsIn(EDITIONS)
  edition!: Edition;
}

export class IssueTokenDto {
  @IsString()
  @Matches(/^[A-Za-z0-9._@-]{1,64}$/, { message: 'user must be 1-64 letters, digits or . _ @ -' })
  user!: string;

  @IsIn(ORG_ROLES)
  role!: OrgRole;
}
