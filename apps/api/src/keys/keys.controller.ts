import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DomainError } from '@cmk/domain';
import { ReadModelQueries, type KeyView } from '@cmk/read-models';
import { OrgAccessGuard, Roles } from '../auth/guards';
import { Ctx, type CommandContext } from '../http/command-context';
import { AddKeyCommand, DisableAllKeysCommand, DisableKeyCommand, RetryReencryptionCommand, SetDefaultKeyCommand } from './commands';
import { AddKeyDto, DisableKeyDto } from './dto';
import { LiveReencryptionService } from '../reencryption';
import { KeyringHistory } from './history';
import { HealthStore } from '@cmk/key-health';
import { API_CONFIG, type ApiConfig } from '../config';
import { newDataKeysStatus, presentHealth } from '../key-health/health-view';

/** The public shape of a key (the read model minus internal fields). */
function present(key: KeyView) {
  const { id, name, type, awsKms, isDefault, state, canSetDefault, canDisable, addedAt } = key;
  return { id, name, type, awsKms, isDefault, state, canSetDefault, canDisable, addedAt };
}

/** Customer managed keys of one organisation: admins only. */
@Controller('api/orgs/:org/customer-managed-keys')
@UseGuards(OrgAccessGuard)
@Roles('admin')
export class KeysController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: ReadModelQueries,
    private readonly live: LiveReencryptionService,
    private readonly history: KeyringHistory,
    private readonly health: HealthStore,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  async list(@Param('org') org: string) {
    const [doc, records] = await Promise.all([this.queries.getKeyList(org), this.health.list(org)]);
    const keys = doc.keys.map((key) => ({ ...present(key), health: presentHealth(records[key.id], this.config.keyHealth.confirmations) }));
    return { keys, defaultKeyId: doc.defaultKeyId, reencryption: doc.reencryption, newDataKeys: newDataKeysStatus(doc, records) };
  }

  @Post()
  async add(@Param('org') org: string, @Body() body: AddKeyDto, @Ctx() ctx: CommandContext) {
    const result = await this.commands.execute(new AddKeyCommand(org, body, ctx));
    const doc = await this.queries.getKeyList(org);
    const key = doc.keys.find((k) => k.id === result.keyId);
    return { key: key ? present(key) : { id: result.keyId }, reencryptionId: result.reencryptionId ?? null };
  }

  /** The key ring's audit trail from the event store: `?from=<revision>&limit=<1-500>`. */
  @Get('history')
  historyPage(@Param('org') org: string, @Query('from') from?: string, @Query('limit') limit?: string) {
    return this.history.page(org, from, limit);
  }

  @Get('reencryption')
  async reencryption(@Param('org') org: string) {
    const banner = await this.live.banner(org);
    if (!banner) throw new DomainError('REENCRYPTION_NOT_FOUND', 'This organization has had no re-encryption yet');
    return banner;
  }

  @Post('reencryption/retry')
  @HttpCode(202)
  async retry(@Param('org') org: string, @Ctx() ctx: CommandContext) {
    const { reencryptionId } = await this.commands.execute(new RetryReencryptionCommand(org, ctx));
    return { reencryptionId };
  }

  @Post('disable-all')
  @HttpCode(202)
  async disableAll(@Param('org') org: string, @Ctx() ctx: CommandContext) {
    const { reencryptionId } = await this.commands.execute(new DisableAllKeysCommand(org, ctx));
    return { reencryptionId };
  }

  @Post(':keyId/set-default')
  @HttpCode(200)
  async setDefault(@Param('org') org: string, @Param('keyId') keyId: string, @Ctx() ctx: CommandContext) {
    await this.commands.execute(new SetDefaultKeyCommand(org, keyId, ctx));
    const doc = await this.queries.getKeyList(org);
    return { defaultKeyId: doc.defaultKeyId };
  }

  @Post(':keyId/disable')
  @HttpCode(202)
  async disable(@Param('org') org: string, @Param('keyId') keyId: string, @Body() body: DisableKeyDto, @Ctx() ctx: CommandContext) {
    const { reencryptionId } = await this.commands.execute(new DisableKeyCommand(org, keyId, body.destID, ctx));
    return { reencryptionId };
  }
}
