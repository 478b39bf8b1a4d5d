/**
 * The last branch of every `switch` over a union: the compiler proves it unreachable, and if an
 * unknown variant arrives at run time anyway (a newer writer, a bad cast elsewhere) it fails loudly
 * instead of silently doing nothing.
 */
export function assertNever(value: never, what = 'variant'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}
