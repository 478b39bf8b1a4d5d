import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * An export file's lines, parsed one at a time (constant memory). A line that is not JSON is
 * passed on as an unknown kind, so verify reports it instead of crashing.
 */
export async function* readExportFile(file: string): AsyncGenerator<unknown> {
  const lines = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (text.trim() === '') continue;
    try {
      yield JSON.parse(text);
    } catch {
      yield { kind: `unparseable line ${number}` };
    }
  }
}
