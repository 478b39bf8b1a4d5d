import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { DigestKeyArchive, exportAudit } from '@cmk/audit';
import { openSqliteEventStore } from '@cmk/eventstore';

/**
 * `npm run bench:audit`'s export, in its own process so its memory is the export's alone: the
 * same `exportAudit` the api streams, written with backpressure to a file. Prints a JSON summary
 * (time, lines, RSS samples) on stdout. Args: <db path> <data dir> <org> <out file>.
 */
async function main(): Promise<void> {
  const [dbPath, dataDir, org, outFile] = process.argv.slice(2);
  const store = await openSqliteEventStore({ path: dbPath });
  const out = createWriteStream(outFile);
  const samples: { lines: number; rssMb: number }[] = [];
  let lines = 0;
  let peak = 0;
  // RSS as the OS sees it, sampled every 0.5 s; maxRSS at the end catches a peak between samples.
  const sample = () => {
    const rssMb = process.memoryUsage().rss / 1e6;
    peak = Math.max(peak, rssMb);
    samples.push({ lines, rssMb: Math.round(rssMb) });
  };
  const timer = setInterval(sample, 500);
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  for await (const line of exportAudit(store, org, { keys: await new DigestKeyArchive(dataDir).all() })) {
    lines += 1;
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(timer);
  sample();
  await store.close();
  process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, lines, peakRssMb: Math.round(Math.max(peak, process.resourceUsage().maxRSS / 1024)), samples })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
