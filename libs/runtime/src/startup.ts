import { ConfigError } from './config';

export type LogLevel = 'error' | 'warn' | 'log' | 'debug';
const LEVELS: readonly LogLevel[] = ['error', 'warn', 'log', 'debug'];

/** Nest's logger takes the list of enabled levels: everything up to and including `level`. */
export function logLevelsUpTo(level: LogLevel): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

/**
 * Runs an app's configuration loader once at start-up. A `ConfigError` is printed (every
 * problem, no stack) and the process exits with 1; anything else propagates.
 */
export function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Node prints process warnings (deprecations, a library's "upgrade Node" notice) raw and
 * multi-line on stderr, which breaks `LOG_FORMAT=json`. This replaces that printer with one
 * logger line per warning.
 */
export function logProcessWarnings(logger: { warn(message: string): void }): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn(`${warning.name}: ${warning.message.replace(/\s*\n\s*/g, ' ')}`));
}
