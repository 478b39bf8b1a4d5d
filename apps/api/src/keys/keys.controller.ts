import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
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
import { AuditService } from '../audit';
import { AddedKeyDto, DefaultKeyDto, HistoryPageDto, KeyListDto, ReencryptionDto, ReencryptionStartedDto } from './responses';
import { ApiErrors, BODY_ERRORS, COMMAND_ERRORS, KMS_ERRORS, ORG_ROUTE_ERRORS } from '../openapi/error-responses';
import { HealthStore } from '@cmk/key-health';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';
import { newDataKeysStatus, presentHealth } from '../key-health/health-view';

/** The public shape of a key (the read model minus internal fields). */
function present(key: KeyView) {
  const { id, name, type, awsKms, isDefault, state, canSetDefault, canDisable, addedAt } = key;
  return { id, name, type, awsKms, isDefault, state, canSetDefault, canDisable, addedAt };
}

/** Customer managed keys of one organisation: admins change them; auditors may read. */
@ApiTags('customer-managed-keys')
@ApiBearerAuth()
@ApiParam({ name: 'org', description: 'Organisation login', example: 'acme' })
@ApiErrors(ORG_ROUTE_ERRORS)
@Controller('api/orgs/:org/customer-managed-keys')
@UseGuards(OrgAccessGuard)
@Roles('admin')
export class KeysController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: ReadModelQueries,
    private readonly live: LiveReencryptionService,
    private readonly history: KeyringHistory,
    private readonly audit: AuditService,
    private readonly health: HealthStore,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** `?at=<RFC 3339>`: the list as it was then, replayed from the key ring's events. */
  @ApiOperation({ summary: 'List the key ring', description: 'Keys with what each row action would accept now, the default key and the current or last re-encryption run.' })
  @ApiQuery({ name: 'at', required: false, description: 'RFC 3339 time: the list as it was then, replayed from the key ring events (admins and auditors)', example: '2026-11-30T12:00:00Z' })
  @ApiOkResponse({ type: KeyListDto })
  @ApiErrors('VALIDATION_FAILED')
  @Get()
  @Roles('admin', 'auditor')
  async list(@Param('org') org: string, @Query('at') at?: string) {
    if (at !== undefined) {
      // As it was then: replayed from the key ring's events (health is a live probe, not history).
      const then = await this.audit.keyListAt(org, at);
      return { keys: then.keys.map(present), defaultKeyId: then.defaultKeyId, reencryption: then.reencryption };
    }
    const [doc, records] = await Promise.all([this.queries.getKeyList(org), this.health.list(org)]);
    const keys = doc.keys.map((key) => ({ ...present(key), health: presentHealth(records[key.id], this.config.keyHealth.confirmations) }));
    return { keys, defaultKeyId: doc.defaultKeyId, reencryption: doc.reencryption, newDataKeys: newDataKeysStatus(doc, records) };
  }

  @ApiOperation({ summary: 'Add a customer managed key', description: 'Verified first with STS AssumeRoleWithWebIdentity, GenerateDataKey and Decrypt. The first key becomes the default and starts a re-encryption.' })
  @ApiCreatedResponse({ type: AddedKeyDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors(BODY_ERRORS, COMMAND_ERRORS, KMS_ERRORS, 'EDITION_REQUIRED', 'INVALID_KEY_NAME', 'INVALID_ROLE_ARN', 'INVALID_KEY_ARN', 'KEY_NAME_TAKEN', 'KEY_EXISTS', 'REENCRYPTION_RUNNING', 'REENCRYPTION_RETRY_PENDING')
  @Post()
  async add(@Param('org') org: string, @Body() body: AddKeyDto, @Ctx() ctx: CommandContext) {
    const result = await this.commands.execute(new AddKeyCommand(org, body, ctx));
    const doc = await this.queries.getKeyList(org);
    const key = doc.keys.find((k) => k.id === result.keyId);
    return { key: key ? present(key) : { id: result.keyId }, reencryptionId: result.reencryptionId ?? null };
  }

  /** The key ring's audit trail from the event store: `?from=<revision>&limit=<1-500>`. */
  @ApiOperation({ summary: 'The key ring audit trail', description: 'From the event store, paged by stream revision.' })
  @ApiQuery({ name: 'from', required: false, description: 'First revision (default 0)', example: '0' })
  @ApiQuery({ name: 'limit', required: false, description: 'Page size, 1-500 (default 100)', example: '50' })
  @ApiOkResponse({ type: HistoryPageDto })
  @ApiErrors('VALIDATION_FAILED')
  @Get('history')
  @Roles('admin', 'auditor')
  historyPage(@Param('org') org: string, @Query('from') from?: string, @Query('limit') limit?: string) {
    return this.history.page(org, from, limit);
  }

  @ApiOperation({ summary: 'The current or last re-encryption run', description: 'With live counts while it runs.' })
  @ApiOkResponse({ type: ReencryptionDto })
  @ApiErrors('REENCRYPTION_NOT_FOUND')
  @Get('reencryption')
  @Roles('admin', 'auditor')
  async reencryption(@Param('org') org: string) {
    const banner = await this.live.banner(org);
    if (!banner) throw new DomainError('REENCRYPTION_NOT_FOUND', 'This organization has had no re-encryption yet');
    return banner;
  }

  @ApiOperation({ summary: 'Retry the last failed run', description: 'After fixing IAM or the key; resumes only what failed.' })
  @ApiAcceptedResponse({ type: ReencryptionStartedDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors(COMMAND_ERRORS, 'EDITION_REQUIRED', 'REENCRYPTION_NOT_FOUND', 'REENCRYPTION_NOT_FAILED', 'REENCRYPTION_RUNNING')
  @Post('reencryption/retry')
  @HttpCode(202)
  async retry(@Param('org') org: string, @Ctx() ctx: CommandContext) {
    const { reencryptionId } = await this.commands.execute(new RetryReencryptionCommand(org, ctx));
    return { reencryptionId };
  }

  @ApiOperation({ summary: 'Disable every key', description: 'All data keys return to the platform key.' })
  @ApiAcceptedResponse({ type: ReencryptionStartedDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors(COMMAND_ERRORS, 'EDITION_REQUIRED', 'NO_KEYS', 'REENCRYPTION_RUNNING')
  @Post('disable-all')
  @HttpCode(202)
  async disableAll(@Param('org') org: string, @Ctx() ctx: CommandContext) {
    const { reencryptionId } = await this.commands.execute(new DisableAllKeysCommand(org, ctx));
    return { reencryptionId };
  }

  @ApiOperation({ summary: 'Make a key the default', description: 'New data keys are wrapped by it.' })
  @ApiParam({ name: 'keyId' })
  @ApiOkResponse({ type: DefaultKeyDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors(COMMAND_ERRORS, 'EDITION_REQUIRED', 'KEY_NOT_FOUND', 'KEY_NOT_ACTIVE', 'KEY_UNDER_REENCRYPTION', 'REENCRYPTION_RUNNING')
  @Post(':keyId/set-default')
  @HttpCode(200)
  async setDefault(@Param('org') org: string, @Param('keyId') keyId: string, @Ctx() ctx: CommandContext) {
    await this.commands.execute(new SetDefaultKeyCommand(org, keyId, ctx));
    const doc = await this.queries.getKeyList(org);
    return { defaultKeyId: doc.defaultKeyId };
  }

  @ApiOperation({ summary: 'Disable a key', description: 'Its data keys are rewrapped by `destID` (another active key or `platform`).' })
  @ApiParam({ name: 'keyId' })
  @ApiAcceptedResponse({ type: ReencryptionStartedDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiErrors(BODY_ERRORS, COMMAND_ERRORS, 'EDITION_REQUIRED', 'KEY_NOT_FOUND', 'KEY_NOT_ACTIVE', 'KEY_IS_DEFAULT', 'KEY_UNDER_REENCRYPTION', 'DESTINATION_INVALID', 'REENCRYPTION_RUNNING', 'REENCRYPTION_RETRY_PENDING')
  @Post(':keyId/disable')
  @HttpCode(202)
  async disable(@Param('org') org: string, @Param('keyId') keyId: string, @Body() body: DisableKeyDto, @Ctx() ctx: CommandContext) {
    const { reencryptionId } = await this.commands.execute(new DisableKeyCommand(org, keyId, body.destID, ctx));
    return { reencryptionId };
  }
}
