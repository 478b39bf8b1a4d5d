/**
 * The shape every aggregate exports, so the application's one generic command path
 * (read stream → fold → decide → append with the revision read) works for all of them.
 */
export interface Decider<TCommand, TEvent, TState> {
  initialState(): TState;
  evolve(state: TState, event: TEvent): TState;
  /** Events to append (none for an idempotent repeat), or throws a `DomainError`. */
  decide(command: TCommand, state: TState): TEvent[];
}

