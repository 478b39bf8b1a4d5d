#!/usr/bin/env node
import { COMMAND_GROUPS } from './commands';
import { CommandFailed, EXIT_FAILED, EXIT_USAGE, UsageError } from './errors';
import { dispatch, type Io } from './registry';

/**
 * `cmk`: the command line for operators, org admins and auditors over the api (and, for key
 * rotation, the data directory). `cmk --help` lists the groups. Environment: `CMK_API_URL`,
 * `CMK_OPERATOR_TOKEN` (or `<CMK_DATA_DIR>/operator-token`), `CMK_TOKEN`, `CMK_ORG`, `CMK_DATA_DIR`.
 */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

const io: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: readStdin,
  interactive: process.stderr.isTTY === true,
};

export function main(argv: readonly string[]): Promise<number> {
  return run(argv, io);
}

/** One command line against `io`: the exit code, with a usage error's message and the command's help on stderr. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(COMMAND_GROUPS, argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`cmk: ${error.message}\n${error.usage ? `\n${error.usage}\n` : ''}`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandFailed) {
      io.stderr(`cmk: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.stderr(`cmk: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  // exitCode (not exit()) lets stdout drain when it is a pipe.
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
