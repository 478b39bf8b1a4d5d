/** Counters returned by `GET /_emulator/stats`. */
export interface StatsSnapshot {
  /** Every KMS and STS request received, including failed and throttled ones. */
  readonly calls: number;
  readonly byOperation: Readonly<Record<string, number>>;
  /** By resolved key ARN (aliases are resolved); calls without a known key are not counted here. */
  readonly byKeyArn: Readonly<Record<string, number>>;
  /** By caller: the role ARN, `admin`, or `anonymous` (STS and unauthenticated calls). */
  readonly byRole: Readonly<Record<string, number>>;
  /** ThrottlingException answers, from the quota or from injected faults. */
  readonly throttled: number;
  readonly throttledByOperation: Readonly<Record<string, number>>;
  /** Error answers by exception name or STS error code. */
  readonly errors: Readonly<Record<string, number>>;
  /**
   * KMS calls whose EncryptionContext carries a `purpose` entry (e.g. `health-probe`), by purpose,
   * then by `<operation> <keyArn>`: lets a test count one kind of call without counting data keys.
   */
  readonly byPurpose: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export class Stats {
  private calls = 0;
  private throttled = 0;
  private byOperation = new Map<string, number>();
  private byKeyArn = new Map<string, number>();
  private byRole = new Map<string, number>();
  private throttledByOperation = new Map<string, number>();
  private errors = new Map<string, number>();
  private byPurpose = new Map<string, Map<string, number>>();

  recordCall(operation: string, keyArn: string | undefined, caller: string): void {
    this.calls += 1;
    bump(this.byOperation, operation);
    if (keyArn !== undefined) bump(this.byKeyArn, keyArn);
    bump(this.byRole, caller);
  }

  recordPurpose(purpose: string, operation: string, keyArn: string | undefined): void {
    let counts = this.byPurpose.get(purpose);
    if (!counts) this.byPurpose.set(purpose, (counts = new Map()));
    bump(counts, `${operation} ${keyArn ?? '-'}`);
  }

  recordError(operation: string, errorName: string): void {
    bump(this.errors, errorName);
    if (errorName !== 'ThrottlingException') return;
    this.throttled += 1;
    bump(this.throttledByOperation, operation);
  }

  snapshot(): StatsSnapshot {
    return {
      calls: this.calls,
      byOperation: Object.fromEntries(this.byOperation),
      byKeyArn: Object.fromEntries(this.byKeyArn),
      byRole: Object.fromEntries(this.byRole),
      throttled: this.throttled,
      throttledByOperation: Object.fromEntries(this.throttledByOperation),
      errors: Object.fromEntries(this.errors),
      byPurpose: Object.fromEntries([...this.byPurpose].map(([purpose, counts]) => [purpose, Object.fromEntries(counts)])),
    };
  }

  reset(): void {
    this.calls = 0;
    this.throttled = 0;
    this.byPurpose.clear();
    for (const map of [this.byOperation, this.byKeyArn, this.byRole, this.throttledByOperation, this.errors]) map.clear();
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
