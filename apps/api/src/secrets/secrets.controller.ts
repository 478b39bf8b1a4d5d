import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ReadModelQueries } from '@cmk/read-models';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { Ctx, type CommandContext } from '../http/command-context';
import { DecryptSecretsCommand, EncryptSecretsCommand } from './commands';
import { summariseDataKeys } from './data-key-summary';
import { DecryptSecretsDto, EncryptSecretsDto } from './dto';
import { CiphertextsDto, DataKeySummaryDto, PlaintextsDto } from './responses';
import { ApiErrors, BODY_ERRORS, KMS_ERRORS, ORG_ROUTE_ERRORS } from '../openapi/error-responses';
import { RateLimitedAs } from '../http/rate-limit/route-budget';

/** Secret encryption for an organisation's members and admins. */
@ApiTags('secrets')
@ApiBearerAuth()
@ApiParam({ name: 'org', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS, BODY_ERRORS, KMS_ERRORS)
@Controller('api/orgs/:org/secrets')
@UseGuards(OrgAccessGuard)
@Roles('admin', 'member')
@RateLimitedAs('secrets')
export class SecretsController {
  constructor(private readonly commands: CommandBus) {}

  @ApiOperation({ summary: 'Encrypt values', description: 'Under a data key of this org and scope, wrapped by the default key.' })
  @ApiOkResponse({ type: CiphertextsDto })
  @ApiErrors('SCOPE_INVALID', 'VALUE_INVALID', 'BATCH_TOO_LARGE', 'WRAPPING_KEY_UNAVAILABLE', 'DATA_KEY_LIMIT_REACHED', 'DATA_KEY_CACHE_CONTENDED')
  @Post('encrypt')
  @HttpCode(200)
  async encrypt(@Param('org') org: string, @Body() body: EncryptSecretsDto, @Ctx() ctx: CommandContext) {
    return { ciphertexts: await this.commands.execute(new EncryptSecretsCommand(org, body.scope, body.values, ctx)) };
  }

  @ApiOperation({ summary: 'Decrypt envelopes of this org' })
  @ApiOkResponse({ type: PlaintextsDto })
  @ApiErrors('CIPHERTEXT_MALFORMED', 'CIPHERTEXT_UNSUPPORTED_VERSION', 'CIPHERTEXT_INVALID', 'DATA_KEY_NOT_FOUND', 'BATCH_TOO_LARGE', 'WRAPPING_KEY_UNAVAILABLE', 'DATA_KEY_CACHE_CONTENDED')
  @Post('decrypt')
  @HttpCode(200)
  async decrypt(@Param('org') org: string, @Body() body: DecryptSecretsDto) {
    return { values: await this.commands.execute(new DecryptSecretsCommand(org, body.ciphertexts)) };
  }
}

/** How many data keys each wrapping key holds (from the read models): admins and auditors. */
@ApiTags('customer-managed-keys')
@ApiBearerAuth()
@ApiParam({ name: 'org', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS)
@Controller('api/orgs/:org/data-keys')
@UseGuards(OrgAccessGuard)
@Roles('admin', 'auditor')
export class DataKeysController {
  constructor(private readonly queries: ReadModelQueries) {}

  @ApiOperation({ summary: 'Data keys per wrapping key' })
  @ApiOkResponse({ type: DataKeySummaryDto })
  @Get('summary')
  async summary(@Param('org') org: string) {
    const [counts, keyList] = await Promise.all([this.queries.countsByWrappingKey(org), this.queries.getKeyList(org)]);
    return summariseDataKeys(counts, keyList);
  }
}
