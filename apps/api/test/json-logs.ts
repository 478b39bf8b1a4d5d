/** One line of an app's `LOG_FORMAT=json` output (Nest's JSON console logger). */
export interface JsonLogLine {
  readonly level: string;
  readonly message: string;
  readonly context?: string;
  readonly timestamp: number;
}

// pino's numeric levels, for loggers that write them (Nest's JSON console logger writes names).
const LEVEL_NAMES: Record<number, string> = { 10: 'verbose', 20: 'debug', 30: 'log', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A logger object's fields, whichever JSON logger wrote it (Nest's `message`, pino's `msg`). */
function asLogLine(parsed: unknown): JsonLogLine | undefined {
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const message = typeof record['message'] === 'string' ? record['message'] : record['msg'];
  const level = typeof record['level'] === 'number' ? LEVEL_NAMES[record['level']] : record['level'];
  if (typeof message !== 'string' || typeof level !== 'string') return undefined;
  const context = typeof record['context'] === 'string' ? record['context'] : undefined;
  return { level, message, context, timestamp: Number(record['timestamp'] ?? record['time'] ?? 0) };
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
    let line: JsonLogLine | undefined;
    try {
      line = asLogLine(JSON.parse(text));
    } catch {
      // not JSON: raw
    }
    if (line) lines.push(line);
    else raw.push(text);
  }
  return { lines, raw };
}

/** Log lines about outages of `dependency` ('Redis' or 'event store'), and any raw connection error. */
export function outageLines(output: string, dependency: 'Redis' | 'event store'): JsonLogLine[] {
  return parseJsonLogs(output).lines.filter((line) => line.message.startsWith(`${dependency} outage`));
}
