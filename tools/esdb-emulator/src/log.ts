/** One event as the emulator keeps it: the bytes the client sent plus what the server assigns. */
export interface StoredEvent {
  readonly streamName: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** .NET ticks (100 ns since the Unix epoch here), as the real server reports `created`. */
  readonly createdTicks: bigint;
  /** Commit and prepare position are equal: the emulator has no multi-record transactions. */
  readonly position: bigint;
}

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

export type ExpectedState =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

export type AppendOutcome =
  | { readonly kind: 'success'; readonly currentRevision: bigint; readonly position: bigint }
  | { readonly kind: 'wrong_expected_version'; readonly currentRevision: bigint | undefined };

/**
 * Per-record overhead added to the position counter. Positions in the real server are byte
 * offsets in the transaction log, so they grow by more than one per event; keeping that property
 * stops callers from assuming positions are dense.
 */
const RECORD_OVERHEAD = 128n;

/** The in-memory transaction log: `$all` in position order plus an index per stream. */
export class InMemoryLog {
  private readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly listeners = new Set<() => void>();
  private readonly tombstoned = new Set<string>();
  private nextPosition = 0n;

  get length(): number {
    return this.all.length;
  }

  at(index: number): StoredEvent | undefined {
    return this.all[index];
  }

  stream(streamName: string): readonly StoredEvent[] | undefined {
    return this.streams.get(streamName);
  }

  /** Index of the first event whose position is at or after `position` (the log length if none). */
  firstIndexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.all.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.all[mid].position < position) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Called after every successful append that wrote events; returns an unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether the stream was hard-deleted (reads and appends answer "stream deleted"). */
  isTombstoned(streamName: string): boolean {
    return this.tombstoned.has(streamName);
  }

  /**
   * Hard-deletes a stream, like the server's Tombstone: the name can never be used again, but its
   * events stay in the log (and in `$all`) until {@link scavenge}, as on a real server.
   */
  tombstone(streamName: string, expected: ExpectedState): AppendOutcome {
    const existing = this.streams.get(streamName) ?? [];
    const current = existing.length === 0 ? undefined : BigInt(existing.length - 1);
    if (!this.accepts(expected, current)) return { kind: 'wrong_expected_version', currentRevision: current };
    this.tombstoned.add(streamName);
    const position = this.nextPosition;
    this.nextPosition += RECORD_OVERHEAD;
    return { kind: 'success', currentRevision: current ?? -1n, position };
  }

  /**
   * What a scavenge does to hard-deleted streams: their events leave the log for good. Their
   * slots in `$all` become empty `$scavenged` records (so positions and indexes held by readers
   * stay valid); returns how many events were removed.
   */
  scavenge(): number {
    let removed = 0;
    for (let i = 0; i < this.all.length; i++) {
      const event = this.all[i];
      if (!this.tombstoned.has(event.streamName)) continue;
      this.all[i] = { ...event, streamName: '$scavenged', type: '$scavenged', data: new Uint8Array(0), customMetadata: new Uint8Array(0) };
      removed += 1;
    }
    for (const name of this.tombstoned) this.streams.delete(name);
    return removed;
  }

  append(streamName: string, expected: ExpectedState, proposed: readonly ProposedEvent[]): AppendOutcome {
    const existing = this.streams.get(streamName) ?? [];
    const current = existing.length === 0 ? undefined : BigInt(existing.length - 1);

    const replay = this.idempotentReplay(existing, expected, proposed);
    if (replay) return replay;

    if (!this.accepts(expected, current)) return { kind: 'wrong_expected_version', currentRevision: current };
    if (proposed.length === 0) {
      const last = existing.at(-1);
      return { kind: 'success', currentRevision: current ?? -1n, position: last?.position ?? -1n };
    }

    const createdTicks = BigInt(Date.now()) * 10_000n;
    const stream = existing.length === 0 ? [] : existing;
    let stored: StoredEvent | undefined;
    for (const event of proposed) {
      stored = {
        ...event,
        streamName,
        revision: BigInt(stream.length),
        createdTicks,
        position: this.nextPosition,
      };
      this.nextPosition += RECORD_OVERHEAD + BigInt(event.data.length + event.customMetadata.length);
      stream.push(stored);
      this.all.push(stored);
    }
    this.streams.set(streamName, stream);
    for (const listener of this.listeners) listener();
    return { kind: 'success', currentRevision: BigInt(stream.length - 1), position: stored?.position ?? -1n };
  }

  private accepts(expected: ExpectedState, current: bigint | undefined): boolean {
    switch (expected.kind) {
      case 'any':
        return true;
      case 'no_stream':
        return current === undefined;
      case 'stream_exists':
        return current !== undefined;
      case 'revision':
        return current === expected.revision;
    }
  }

  /**
   * Like the real server: re-sending the same event ids for the same expected revision (or with
   * `any`/`stream_exists` when the ids are already in the stream in that order) succeeds with the
   * original result and writes nothing.
   */
  private idempotentReplay(
    existing: readonly StoredEvent[],
    expected: ExpectedState,
    proposed: readonly ProposedEvent[],
  ): AppendOutcome | undefined {
    if (proposed.length === 0 || existing.length === 0) return undefined;
    let start: number;
    switch (expected.kind) {
      case 'no_stream':
        start = 0;
        break;
      case 'revision':
        start = Number(expected.revision) + 1;
        break;
      case 'any':
      case 'stream_exists':
        start = existing.findIndex((event) => event.id === proposed[0].id);
        break;
    }
    const written = start < 0 ? [] : existing.slice(start, start + proposed.length);
    if (written.length === proposed.length && written.every((event, i) => event.id === proposed[i].id)) {
      const last = written[written.length - 1];
      return { kind: 'success', currentRevision: last.revision, position: last.position };
    }
    // Some of the ids are already in the stream but not as this exact batch: the real server calls
    // that corrupted idempotency and answers with a wrong expected version, even for `any`.
    const ids = new Set(existing.map((event) => event.id));
    if ((expected.kind === 'any' || expected.kind === 'stream_exists') && proposed.some((event) => ids.has(event.id))) {
      return { kind: 'wrong_expected_version', currentRevision: BigInt(existing.length - 1) };
    }
    return undefined;
  }
}
