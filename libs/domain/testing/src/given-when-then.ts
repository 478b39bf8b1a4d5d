import { type Decider, DomainError, type ErrorCode, type EventMetadata } from '@cmk/domain';

/**
 * Spec support (not exported from the library): `given(events).when(command).then(events)` or
 * `.thenRefuses(code)`, against any decider.
 */
export function specFor<TCommand, TEvent, TState>(decider: Decider<TCommand, TEvent, TState>) {
  return function given(events: readonly TEvent[]) {
    const state = events.reduce(decider.evolve, decider.initialState());
    return {
      state,
      when(command: TCommand) {
        const run = (): TEvent[] => decider.decide(command, state);
        return {
          then(expected: readonly TEvent[]): TEvent[] {
            const actual = run();
            expect(actual).toEqual(expected);
            return actual;
          },
          thenRefuses(code: ErrorCode, details?: Record<string, unknown>): DomainError {
            let caught: unknown;
            try {
              run();
            } catch (error) {
              caught = error;
            }
            expect(caught).toBeInstanceOf(DomainError);
            if (!(caught instanceof DomainError)) throw new Error('unreachable');
            expect(caught.code).toBe(code);
            if (details) expect(caught.details).toMatchObject(details);
            return caught;
          },
        };
      },
    };
  };
}

/** Fixed metadata: specs never read the clock. */
export function meta(overrides: Partial<EventMetadata> = {}): EventMetadata {
  return {
    actor: 'user:alice',
    tokenId: 'tok-1',
    requestId: 'req-1',
    correlationId: 'corr-1',
    causationId: 'cause-1',
    occurredAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}
