import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ReadModelQueries } from '@cmk/read-models';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { Ctx, type CommandContext } from '../http/command-context';
import { DecryptSecretsCommand, EncryptSecretsCommand } from './commands';
import { summariseDataKeys } from './data-key-summary';
import { DecryptSecretsDto, EncryptSecretsDto } from './dto';

/** Secret encryption for an organisation's members and admins. */
@Controller('api/orgs/:org/secrets')
@UseGuards(OrgAccessGuard)
@Roles('admin', 'member')
export class SecretsController {
  constructor(private readonly commands: CommandBus) {}

  @Post('encrypt')
  @HttpCode(200)
  async encrypt(@Param('org') org: string, @Body() body: EncryptSecretsDto, @Ctx() ctx: CommandContext) {
    return { ciphertexts: await this.commands.execute(new EncryptSecretsCommand(org, body.scope, body.values, ctx)) };
  }

  @Post('decrypt')
  @HttpCode(200)
  async decrypt(@Param('org') org: string, @Body() body: DecryptSecretsDto) {
    return { values: await this.commands.execute(new DecryptSecretsCommand(org, body.ciphertexts)) };
  }
}

/** How many data keys each wrapping key holds (from the read models): admins and auditors. */
@Controller('api/orgs/:org/data-keys')
@UseGuards(OrgAccessGuard)
@Roles('admin', 'auditor')
export class DataKeysController {
  constructor(private readonly queries: ReadModelQueries) {}

  @Get('summary')
  async summary(@Param('org') org: string) {
    const [counts, keyList] = await Promise.all([this.queries.countsByWrappingKey(org), this.queries.getKeyList(org)]);
    return summariseDataKeys(counts, keyList);
  }
}
