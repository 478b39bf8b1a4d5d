// CLI: `node dist/tools/esdb-emulator/src/main.js` serves an in-memory EventStoreDB on
// ESDB_EMULATOR_PORT (default 2113) until SIGINT/SIGTERM. For tests and demos only.
import { startEsdbEmulator } from './emulator';

async function main(): Promise<void> {
  const raw = process.env['ESDB_EMULATOR_PORT'] ?? '2113';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`ESDB_EMULATOR_PORT is not a port: ${raw}`);
  const emulator = await startEsdbEmulator({ port, host: process.env['ESDB_EMULATOR_HOST'] ?? '127.0.0.1' });
  console.log(`esdb-emulator listening: EVENTSTORE_URL=${emulator.url}`);
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
