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

/** Rebuilds state from an aggregate's events, oldest first. */
export function foldEvents<TCommand, TEvent, TState>(
  decider: Decider<TCommand, TEvent, TState>,
  events: Iterable<TEvent>,
  from: TState = decider.initialState(),
): TState {
  let state = from;
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
