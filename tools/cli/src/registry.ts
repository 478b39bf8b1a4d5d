import { parseArgs } from 'node:util';
import { ApiClient } from './api-client';
import { EXIT_OK, UsageError } from './errors';
import { render, type CommandResult, type OutputFormat } from './output';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** One line for `--help`; name the value in it (`--role admin|member`). */
  readonly description: string;
}

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The whole of standard input (the `secrets` commands read values from it). */
  readonly stdin: () => Promise<string>;
  /** True when stdout is a terminal (`reencryption watch` redraws one line then). */
  readonly interactive: boolean;
}

export interface CommandContext {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly output: OutputFormat;
  readonly io: Io;
  /** A client of the api at `--api-url` / `CMK_API_URL`, authenticating with `token`. */
  api(token: () => string): ApiClient;
  /** This command's usage, for a `UsageError` raised while running it. */
  readonly usage: string;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Positional arguments, in order, all required (`<org>`, `<user>`). */
  readonly positionals?: readonly string[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Extra lines for `--help` (environment, stdin format). */
  readonly notes?: string;
  /** The result to print, or an exit code when the command printed its own output. */
  run(context: CommandContext): Promise<CommandResult | number>;
}

/** A noun (`keys`, `reencryption`): one file per group under `commands/`, listed in `commands/index.ts`. */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
}

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  output: { type: 'string', short: 'o', description: '--output json|table    how to print the result (default json)' },
  'api-url': { type: 'string', description: '--api-url URL          the api (default CMK_API_URL, else http://127.0.0.1:3000)' },
  'idempotency-key': { type: 'string', description: '--idempotency-key K    reuse the key of an earlier attempt to retry it safely (default: a new one)' },
  help: { type: 'boolean', short: 'h', description: '--help, -h             this help' },
};

const optionLines = (options: Readonly<Record<string, OptionSpec>>) => Object.values(options).map((o) => `  ${o.description}`);

export function commandUsage(group: CommandGroup, command: Command): string {
  const args = (command.positionals ?? []).map((p) => `<${p}>`).join(' ');
  const lines = [`usage: cmk ${group.name} ${command.name}${args ? ` ${args}` : ''} [options]`, '', command.summary, ''];
  if (command.options && Object.keys(command.options).length > 0) lines.push('options:', ...optionLines(command.options), '');
  lines.push('global options:', ...optionLines(GLOBAL_OPTIONS));
  if (command.notes) lines.push('', command.notes);
  return lines.join('\n');
}

export function groupUsage(group: CommandGroup): string {
  const width = Math.max(...group.commands.map((c) => c.name.length));
  return [`usage: cmk ${group.name} <command> [options]`, '', group.summary, '', 'commands:', ...group.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`), '', `cmk ${group.name} <command> --help for its options`].join('\n');
}

export function overallUsage(groups: readonly CommandGroup[]): string {
  const lines = ['usage: cmk <group> <command> [arguments] [options]', ''];
  for (const group of groups) lines.push(`  ${group.name.padEnd(13)} ${group.summary}`);
  lines.push('', 'cmk <group> --help lists its commands; cmk <group> <command> --help shows its options.', 'Exit codes: 0 ok, 1 failed, 2 usage error.');
  return lines.join('\n');
}

function parse(group: CommandGroup, command: Command, args: readonly string[]) {
  const usage = commandUsage(group, command);
  const specs = { ...GLOBAL_OPTIONS, ...command.options };
  const options = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, spec.short ? { type: spec.type, short: spec.short } : { type: spec.type }]));
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), usage);
  }
  return { usage, values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** Runs one command line; returns the exit code. Never throws a `UsageError` out (it prints it). */
export async function dispatch(groups: readonly CommandGroup[], argv: readonly string[], io: Io): Promise<number> {
  const [groupName, commandName, ...rest] = argv;
  if (groupName === undefined || groupName === 'help' || groupName === '--help' || groupName === '-h') {
    if (argv.length > 1) throw new UsageError(`unexpected argument "${argv[1]}"`, overallUsage(groups));
    io[groupName === undefined ? 'stderr' : 'stdout'](`${overallUsage(groups)}\n`);
    return groupName === undefined ? 2 : EXIT_OK;
  }
  const group = groups.find((g) => g.name === groupName);
  if (!group) throw new UsageError(`unknown command group "${groupName}"`, overallUsage(groups));
  if (commandName === '--help' || commandName === '-h') {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, groupUsage(group));
    io.stdout(`${groupUsage(group)}\n`);
    return EXIT_OK;
  }
  const command = group.commands.find((c) => c.name === commandName);
  if (!command) throw new UsageError(commandName === undefined ? `cmk ${group.name} needs a command` : `unknown command "${group.name} ${commandName}"`, groupUsage(group));
  const { usage, values, positionals } = parse(group, command, rest);
  if (values['help'] === true) {
    io.stdout(`${usage}\n`);
    return EXIT_OK;
  }
  const expected = command.positionals ?? [];
  if (positionals.length !== expected.length) {
    throw new UsageError(positionals.length < expected.length ? `missing <${expected[positionals.length]}>` : `unexpected argument "${positionals[expected.length]}"`, usage);
  }
  const output = (values['output'] as string | undefined) ?? 'json';
  if (output !== 'json' && output !== 'table') throw new UsageError(`--output must be json or table (got "${output}")`, usage);
  const context: CommandContext = {
    values,
    positionals,
    output,
    io,
    usage,
    api: (token) =>
      new ApiClient(
        {
          baseUrl: (values['api-url'] as string | undefined) ?? process.env['CMK_API_URL'] ?? 'http://127.0.0.1:3000',
          idempotencyKey: values['idempotency-key'] as string | undefined,
        },
        token,
      ),
  };
  const result = await command.run(context);
  if (typeof result === 'number') return result;
  io.stdout(`${render(result, output)}\n`);
  return EXIT_OK;
}
