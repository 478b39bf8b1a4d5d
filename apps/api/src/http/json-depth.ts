/**
 * How deeply objects and arrays may nest in a request body. Our bodies need three levels
 * (`{ awsKms: { roleArn } }`, `{ values: [..] }`); anything far deeper is hostile. The limit
 * matters because class-transformer and class-validator walk bodies recursively: a 2 MB body
 * of `[[[[...` would otherwise overflow the stack inside the validation pipe (a 500).
 */
export const MAX_BODY_DEPTH = 32;

/**
 * Whether `value` nests objects or arrays deeper than `max` levels. Iterative (an explicit
 * stack), so it cannot itself overflow on the input it is guarding against.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > max) return true;
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
