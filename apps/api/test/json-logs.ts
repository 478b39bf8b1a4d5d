/** One line of an app's `LOG_FORMAT=json` output (Nest's JSON console logger). */
export interface JsonLogLine {
  readonly level: string;
  readonly message: string;
  readonly context?: string;
  readonly timestamp: number;
}

/**
 * Parses a process's output as JSON log lines. A line that is not a logger object (a raw error
 * dump, ioredis's "Unhandled error event", a stack trace) is returned in `raw`: the outage tests
 * require it to be empty.
 */
export function parseJsonLogs(output: string): { lines: JsonLogLine[]; raw: string[] } {
  const lines: JsonLogLine[] = [];
  const raw: string[] = [];
  for (const text of output.split('\n')) {
    if (text.trim() === '') continue;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as JsonLogLine).message === 'string' && typeof (parsed as JsonLogLine).level === 'string') {
        lines.push(parsed as JsonLogLine);
        continue;
      }
    } catch {
      // not JSON: falls through to raw
    }
    raw.push(text);
  }
  return { lines, raw };
}

/** Log lines about outages of `dependency` ('Redis' or 'event store'), and any raw connection error. */
export function outageLines(output: string, dependency: 'Redis' | 'event store'): JsonLogLine[] {
  return parseJsonLogs(output).lines.filter((line) => line.message.startsWith(`${dependency} outage`));
}
