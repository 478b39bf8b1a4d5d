import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface WriterProcess {
  readonly child: ChildProcess;
  /** Parsed JSON lines the child has reported so far. */
  readonly reports: Record<string, string | number>[];
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  readonly exited: Promise<number | string>;
  readonly stderr: () => string;
}

/** Runs `writer-process.ts` in its own Node process through ts-node's transpile-only hook and the path aliases. */
export function spawnWriter(args: readonly string[]): WriterProcess {
  const script = join(__dirname, 'writer-process.ts');
  const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-r', require.resolve('tsconfig-paths/register'), script, ...args], {
    env: { ...process.env, TS_NODE_SWC: 'true', TS_NODE_PROJECT: join(__dirname, '../../../../../tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const reports: Record<string, string | number>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => reports.push(JSON.parse(line)));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, reports, exited, stderr: () => stderr };
}
