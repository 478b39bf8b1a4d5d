import type { Writable } from 'node:stream';

/**
 * Writes one message and, when the call's buffer is full, waits for it to drain (or for the
 * call to go away), so a slow reader cannot make the emulator buffer the whole log.
 */
export async function writeRespectingBackpressure(call: Writable, message: unknown): Promise<void> {
  if (call.destroyed || call.writableEnded) return;
  if (call.write(message)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('close', done);
      resolve();
    };
    call.once('drain', done);
    call.once('close', done);
  });
}
