import { Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { Response } from 'express';

const logger = new Logger('audit-export');

/**
 * Writes JSON Lines with backpressure: the generator is pulled only as fast as the client reads,
 * so an export of any length holds one page of events in memory.
 */
export function streamLines(lines: AsyncIterable<unknown>, res: Response): void {
  res.status(200).type('application/x-ndjson');
  const body = Readable.from(
    (async function* () {
      for await (const line of lines) yield `${JSON.stringify(line)}\n`;
    })(),
  );
  body.on('error', (error: unknown) => {
    // Headers are gone: the client sees a truncated export (no `end` line) and verify says so.
    logger.error(`export failed mid-stream: ${error instanceof Error ? error.message : String(error)}`);
    res.destroy();
  });
  body.pipe(res);
}
