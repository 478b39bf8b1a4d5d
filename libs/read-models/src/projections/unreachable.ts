/**
 * The last branch of every `switch` over an event union: the compiler proves it unreachable, and
 * a variant that arrives anyway (a bad cast elsewhere) fails loudly instead of being ignored.
 */
export function unreachable(value: never): never {
  throw new Error(`Unhandled variant: ${JSON.stringify(value)}`);
}
