import { readFileSync } from 'node:fs';
import { PointInTime, parseInstant, readExportFile, verifyExport, type AuditEntry, type VerifyReport } from '@cmk/audit';
import type { JWK } from 'jose';
import { CommandFailed } from './errors';

/**
 * The auditor's tools behind `cmk audit …`: export needs the api; verify and replay read only
 * the export file (no access to production).
 */

/** Streams the org's export to stdout with backpressure (constant memory), progress on stderr. */
export async function exportToStdout(apiUrl: string, token: { value: string; asAuditor: boolean }, org: string, since: string | undefined): Promise<number> {
  if (since) checkInstant('--since', since);
  const query = since ? `?since=${encodeURIComponent(since)}` : '';
  // An auditor's own token uses the org route; the operator's the admin route.
  const path = token.asAuditor ? `/api/orgs/${encodeURIComponent(org)}/audit/export` : `/api/admin/orgs/${encodeURIComponent(org)}/audit/export`;
  const url = `${apiUrl.replace(/\/+$/, '')}${path}${query}`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${token.value}` } }).catch((error: unknown) => {
    throw new CommandFailed(`cannot reach ${url}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!response.ok || !response.body) throw new CommandFailed(`HTTP ${response.status}: ${await response.text()}`);
  let lines = 0;
  let lastReport = Date.now();
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    for (const byte of chunk) if (byte === 10) lines += 1;
    if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    if (Date.now() - lastReport >= 1000) {
      lastReport = Date.now();
      process.stderr.write(`audit export: ${lines} lines\n`);
    }
  }
  process.stderr.write(`audit export: done, ${lines} lines\n`);
  return 0;
}

/** Verifies an export; the report on stdout, the first problem on stderr, exit 1 when not intact. */
export async function verifyFile(file: string, jwksFile: string | undefined): Promise<{ report: VerifyReport; exitCode: number }> {
  const trustedKeys = jwksFile ? (JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys: JWK[] }).keys : undefined;
  const report = await verifyExport(readExportFile(file), { trustedKeys });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.problem) process.stderr.write(`verification FAILED: ${report.problem.message}\n`);
  return { report, exitCode: report.ok ? 0 : 1 };
}

/** The key ring and each data key's wrapping key at `atText`, folded from the export alone. */
export async function replayFile(file: string, atText: string) {
  const at = checkInstant('--at', atText);
  let pit: PointInTime | undefined;
  for await (const raw of readExportFile(file)) {
    const line = raw as Record<string, unknown>;
    if (line['kind'] === 'header') pit = new PointInTime(String(line['org']), at);
    if (line['kind'] === 'event' && pit) {
      const { kind: _kind, ...entry } = line;
      pit.applyEntry(entry as unknown as AuditEntry);
    }
  }
  if (!pit) throw new CommandFailed(`${file} has no header line: not an audit export`);
  const doc = pit.keys();
  return {
    org: pit.orgId,
    at: at.toISOString(),
    keyRing: { keys: doc.keys.map(({ id, name, type, awsKms, isDefault, state, addedAt }) => ({ id, name, type, awsKms, isDefault, state, addedAt })), defaultKeyId: doc.defaultKeyId },
    dataKeys: pit.wrappings(),
  };
}

function checkInstant(flag: string, text: string): Date {
  try {
    return parseInstant(flag, text);
  } catch {
    throw new CommandFailed(`${flag} must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z`);
  }
}
