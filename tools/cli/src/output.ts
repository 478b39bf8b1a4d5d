/** `--output json` (the default: stable for scripts) or `table` (for people). */
export type OutputFormat = 'json' | 'table';

type Row = Record<string, unknown>;

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

/** Columns padded to their widest cell; the header is the column names. */
export function formatTable(rows: readonly Row[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((r) => r[i].length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

/** One object as `field  value` lines. */
export function formatRecord(record: Row): string {
  return formatTable(
    Object.entries(record).map(([field, value]) => ({ field, value })),
    ['field', 'value'],
  );
}

/** What a command returns: the JSON it prints, and optionally how it reads as a table. */
export interface CommandResult {
  readonly json: unknown;
  readonly table?: () => string;
}

export function render(result: CommandResult, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(result.json, null, 2);
  if (result.table) return result.table();
  const json = result.json;
  if (Array.isArray(json)) return json.map(cell).join('\n');
  if (json !== null && typeof json === 'object') return formatRecord(json as Row);
  return cell(json);
}
