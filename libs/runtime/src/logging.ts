import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import pino, { type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import type { CommonConfig } from './config';
import type { LogLevel } from './startup';

/** `LOG_LEVEL` keeps Nest's names; pino calls `log` `info`. */
const PINO_LEVEL: Record<LogLevel, pino.Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug' };

/**
 * Paths censored wherever they appear in a log record: credentials and bodies never reach a log
 * line, even if a serializer or a `logger.info({ req })` call somewhere lets a request through.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'req.body',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'body',
  'token',
  'plaintext',
];

/**
 * The process's one pino logger. `LOG_FORMAT=json`: one JSON object per line on stdout (log
 * shippers; the Docker image sets it), written asynchronously: lines that arrive while a write
 * is in flight go out together in the next one, instead of one blocking write per line (at one
 * request line per request, ~5 % of a secrets request's CPU samples). pino flushes what
 * is pending synchronously when the process exits (a shutdown, `process.exit`, an uncaught
 * error); only a process killed outright (SIGKILL, the OOM killer) can lose its last lines.
 * `text` (the default, and `npm start`): pino-pretty's single-line, human-readable form,
 * written synchronously so nothing is lost on exit.
 */
export function createRootLogger(config: Pick<CommonConfig, 'logLevel' | 'logFormat'>, destination?: pino.DestinationStream): Pino {
  const options: pino.LoggerOptions = {
    level: PINO_LEVEL[config.logLevel],
    base: { pid: process.pid },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (config.logFormat === 'json') return pino(options, pino.destination({ fd: 1, sync: false }));
  const stream = pretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The request line's message already says method, route, status and duration.
    messageFormat: '{if context}[{context}] {end}{msg}',
    ignore: 'pid,hostname,context,req,res,responseTime,route',
  });
  return pino(options, stream);
}

/** Nest's `LoggerService` over a pino logger (for `Logger.overrideLogger`, or before DI exists). */
/**
 * `httpOptions`: an HTTP app's pino-http options. nestjs-pino builds its one pino-http instance
 * from the first options it sees, so an app that installs this logger before its module must pass
 * the same options its request log uses.
 */
export function nestLoggerOver(root: Pino, httpOptions: object = {}): LoggerService {
  const params = { pinoHttp: { ...httpOptions, logger: root } };
  return new NestPinoLogger(new PinoLogger(params), params);
}
