/**
 * `npm run bench:audit`: builds an org history of BENCH_AUDIT_EVENTS (default 1 000 000) audit
 * events in a fresh SQLite store, links and signs it with the real chainer, then measures the two
 * things an auditor runs: the export (the library function the api streams, in its own process,
 * RSS sampled) and verify (what `cli audit verify` runs, in its own process, then the CLI itself). Prints the
 * figures and writes bench-results/audit.json.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AuditChainer, DigestKeyArchive, oidcDigestSigner } from '@cmk/audit';
import { auditStream, dataKeyStream, orgStream } from '@cmk/domain';
import { openSqliteEventStore, type EventData } from '@cmk/eventstore';
import { OidcSigningKeyStore } from '@cmk/key-providers';

const run = promisify(execFile);
const TOTAL = Number(process.env['BENCH_AUDIT_EVENTS'] ?? 1_000_000);
const ORG = 'bench';
const PER_STREAM = 10;
const root = resolve(__dirname, '../../../..');

const meta = (actor: string) => ({ actor, requestId: randomUUID(), correlationId: 're-bench', causationId: randomUUID(), occurredAt: new Date().toISOString() });

/** A data key's history: issued, then rewrapped by successive runs (the bulk of a large org's log). */
function dataKeyEvents(dataKeyId: string): EventData[] {
  const events: EventData[] = [
    { id: randomUUID(), type: 'DataKeyIssued', data: { orgId: ORG, dataKeyId, scope: dataKeyId, wrappedBy: 'platform', kekRef: 'platform:v1', wrapped: randomUUID() }, metadata: meta('user:alice') },
  ];
  for (let i = 1; i < PER_STREAM; i++) {
    events.push({
      id: randomUUID(),
      type: 'DataKeyRewrapped',
      data: { orgId: ORG, dataKeyId, from: `key-${i - 1}`, to: `key-${i}`, kekRef: `arn:aws:kms:us-east-1:111122223333:key/${i}`, wrapped: randomUUID(), reencryptionId: `re-${i}` },
      metadata: meta('system'),
    });
  }
  return events;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-bench-audit-'));
  const dbPath = join(dir, 'events.sqlite');
  try {
    const store = await openSqliteEventStore({ path: dbPath });
    let t = Date.now();
    await store.appendToStream(orgStream(ORG), [{ id: randomUUID(), type: 'OrganizationRegistered', data: { orgId: ORG, name: 'Bench', edition: 'enterprise' }, metadata: meta('operator') }]);
    const streams = Math.ceil((TOTAL - 1) / PER_STREAM);
    for (let s = 0; s < streams; s += 200) {
      const appends = [];
      for (let i = s; i < Math.min(s + 200, streams); i++) appends.push(store.appendToStream(dataKeyStream(`dk${String(i).padStart(40, '0')}`), dataKeyEvents(`dk${String(i).padStart(40, '0')}`)));
      await Promise.all(appends);
      if (s % 20_000 === 0) process.stderr.write(`seeded ${s * PER_STREAM} events\n`);
    }
    const events = 1 + streams * PER_STREAM;
    const seedSeconds = (Date.now() - t) / 1000;

    t = Date.now();
    const keys = await OidcSigningKeyStore.open({ dataDir: dir });
    const chainer = new AuditChainer({ store, signer: oidcDigestSigner(keys), archive: new DigestKeyArchive(dir), batchSize: 1000, digestIntervalMs: 10_000 }).start();
    // Digests every 10 s while chaining, as a deployment with a short interval would have.
    for (;;) {
      const [last] = await store.readStream(auditStream(ORG), { direction: 'backwards', maxCount: 1 });
      if (last && Number(last.data['toSeq']) >= events) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await chainer.signAll('schedule');
    await chainer.stop();
    const chainSeconds = (Date.now() - t) / 1000;
    await store.close();

    const file = join(dir, 'export.jsonl');
    type Exported = { seconds: number; cpuSeconds: number; lines: number; peakRssMb: number; samples: { lines: number; rssMb: number }[] };
    const exportOnce = async (nodeFlags: string[]): Promise<Exported> => {
      const child = await run(process.execPath, [...nodeFlags, join(root, 'dist/tools/bench/src/audit-export-child.js'), dbPath, dir, ORG, file], { maxBuffer: 64 * 1024 * 1024 });
      return JSON.parse(child.stdout) as Exported;
    };
    // With a 96 MB old-space cap the export must still finish: proof that it holds nothing in
    // proportion to the history (without the cap V8 collects lazily and RSS floats higher).
    const capped = await exportOnce(['--max-old-space-size=96']);
    const exported = await exportOnce([]);

    const verifyChild = await run(process.execPath, [join(root, 'dist/tools/bench/src/audit-verify-child.js'), file], { maxBuffer: 64 * 1024 * 1024 });
    const verified = JSON.parse(verifyChild.stdout) as { seconds: number; cpuSeconds: number; peakRssMb: number; report: { ok: boolean; events: number; digests: number } };
    const report = verified.report;
    // The CLI itself on the same file: its exit code is the one an auditor sees.
    t = Date.now();
    await run(process.execPath, [join(root, 'dist/tools/cli/src/main.js'), 'audit', 'verify', file], { maxBuffer: 64 * 1024 * 1024 });
    const cliSeconds = (Date.now() - t) / 1000;

    const rss = exported.samples.map((s) => s.rssMb);
    const result = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      events,
      seed: { seconds: seedSeconds, eventsPerSecond: Math.round(events / seedSeconds) },
      chain: { seconds: chainSeconds, eventsPerSecond: Math.round(events / chainSeconds) },
      export: {
        seconds: exported.seconds,
        eventsPerSecond: Math.round(events / exported.seconds),
        eventsPerCpuSecond: Math.round(events / exported.cpuSeconds),
        fileMb: Math.round(statSync(file).size / 1e6),
        peakRssMb: exported.peakRssMb,
        rssMbAtQuarters: [0.25, 0.5, 0.75, 1].map((q) => rss[Math.min(rss.length - 1, Math.floor(q * (rss.length - 1)))]),
        withHeapCap96Mb: { seconds: capped.seconds, peakRssMb: capped.peakRssMb, completed: capped.lines === exported.lines },
      },
      verify: {
        seconds: verified.seconds,
        eventsPerSecond: Math.round(report.events / verified.seconds),
        eventsPerCpuSecond: Math.round(report.events / verified.cpuSeconds),
        peakRssMb: verified.peakRssMb,
        cliSeconds,
        ok: report.ok,
        digests: report.digests,
      },
      loadAverage: (await import('node:os')).loadavg().map((l) => Math.round(l * 10) / 10),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    mkdirSync(join(root, 'bench-results'), { recursive: true });
    writeFileSync(join(root, 'bench-results', 'audit.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
