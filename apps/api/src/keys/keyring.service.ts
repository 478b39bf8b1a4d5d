import { Inject, Injectable } from '@nestjs/common';
import { keyringCodec, keyringDecider, keyringStream, type KeyringCommand, type KeyringEvent, type KeyringState } from '@cmk/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@cmk/eventstore';
import { eventsOfIdempotencyKey, handleCommand, readState, type CommandOptions, type CommandResult } from '@cmk/application';
import type { ProjectionRunner } from '@cmk/read-models';
import type { ApiConfig } from '../config';
import { API_CONFIG, PROJECTIONS } from '../tokens';

/**
 * Runs key-ring commands through the one command path and then waits (bounded by
 * `CMK_READ_WAIT_MS`) until the projections include them, so a query right after a command
 * sees its effect.
 */
@Injectable()
export class KeyringService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTIONS) private readonly projections: ProjectionRunner,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async execute(orgId: string, command: KeyringCommand, options: CommandOptions = {}): Promise<CommandResult<KeyringState, KeyringEvent>> {
    const result = await handleCommand(this.store, keyringStream(orgId), keyringDecider, keyringCodec, command, options);
    if (result.position) await this.projections.waitForPosition(result.position, this.config.readWaitMs);
    return result;
  }

  /**
   * Decides `command` on the current state without appending, so a request the rules refuse
   * fails before any slow external check. `replay` is true when the idempotency key was already
   * used (the real execution returns the first result, or refuses a reused key). Pass `recorded`
   * on to `execute` so it does not read the stream again (a stale read only costs a retry).
   */
  async precheck(orgId: string, command: KeyringCommand, idempotencyKey?: string): Promise<{ replay: boolean; recorded: readonly RecordedEvent[] }> {
    const { state, recorded } = await readState(this.store, keyringStream(orgId), keyringDecider, keyringCodec);
    if (idempotencyKey !== undefined && eventsOfIdempotencyKey(recorded, idempotencyKey).length > 0) return { replay: true, recorded };
    keyringDecider.decide(command, state);
    return { replay: false, recorded };
  }
}
