import { readExportFile, verifyExport } from '@cmk/audit';

/**
 * `npm run bench:audit`'s verify: what `cli audit verify` runs (the same line reader and
 * `verifyExport`), in its own process so wall time, CPU time and RSS are its own. Arg: <file>.
 */
async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const report = await verifyExport(readExportFile(process.argv[2]));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), report })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
