/**
 * A position in the global (`$all`) log. Shaped after EventStoreDB's `{commit, prepare}` pair so
 * the EventStoreDB adapter stores and resumes positions without translation; the SQLite adapter
 * uses its global sequence number for both halves.
 */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** The position before every event: a subscription from here sees the whole log. */
export const START_POSITION: Position = Object.freeze({ commit: -1n, prepare: -1n });

/** Orders two positions: negative when `a` is earlier, 0 when equal, positive when later. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export function isAfter(a: Position, b: Position): boolean {
  return comparePositions(a, b) > 0;
}

/** Text form for checkpoints in Redis and job payloads: `"<commit>/<prepare>"`. */
export function formatPosition(p: Position): string {
  return `${p.commit}/${p.prepare}`;
}

export function parsePosition(text: string): Position {
  const match = /^(-?\d+)\/(-?\d+)$/.exec(text);
  if (!match) throw new Error(`Not a position: ${JSON.stringify(text)}`);
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}
