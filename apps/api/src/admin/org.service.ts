import { Inject, Injectable } from '@nestjs/common';
import { DomainError, isOrgLogin, orgCodec, orgDecider, orgStream, type OrgCommand } from '@cmk/domain';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import { handleCommand, type CommandOptions } from '@cmk/application';
import { OrgDirectory } from '../auth/org-directory';

/** Runs organisation commands through the command path and drops the auth cache entry. */
@Injectable()
export class OrgService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly directory: OrgDirectory,
  ) {}

  async execute(orgId: string, command: OrgCommand, options: CommandOptions = {}) {
    if (!isOrgLogin(orgId)) throw new DomainError('ORG_NOT_FOUND', `Organization ${orgId} not found`);
    const result = await handleCommand(this.store, orgStream(orgId), orgDecider, orgCodec, command, options);
    this.directory.invalidate(orgId);
    return result;
  }
}
