import { readFileSync } from 'node:fs';
import { PointInTime, parseInstant, readExportFile as readLines, verifyExport, type AuditEntry } from '@cmk/audit';
import type { JWK } from 'jose';

/**
 * `audit export | verify | replay`: the auditor's tools. Export needs the api; verify and replay
 * read only the export file (no access to production).
 */
export const AUDIT_USAGE = `  cli audit export --org <org> [--since <RFC 3339>]   (JSON Lines on stdout, progress on stderr; CMK_AUDIT_TOKEN: an auditor token instead of the operator's)
  cli audit verify <file> [--jwks <file>]             (recompute the chain, check every digest; exit 1 naming the first bad event)
  cli audit replay <file> --at <RFC 3339>             (the key ring and each data key's wrapping key at that instant)`;

export interface AuditCliContext {
  readonly apiUrl: string;
  readonly operatorToken: () => string;
  readonly option: (args: string[], name: string) => string | undefined;
}

/** Runs an audit command; resolves with the process exit code. */
export async function runAuditCommand(verb: string | undefined, args: string[], ctx: AuditCliContext): Promise<number> {
  const positional = args.filter((arg, i) => !arg.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  if (verb === 'export') {
    const org = ctx.option(args, 'org');
    if (!org) throw new Error('audit export needs --org <org>');
    return exportToStdout(ctx, org, ctx.option(args, 'since'));
  }
  if (verb === 'verify' && positional[0]) {
    const jwks = ctx.option(args, 'jwks');
    const trustedKeys = jwks ? (JSON.parse(readFileSync(jwks, 'utf8')) as { keys: JWK[] }).keys : undefined;
    const report = await verifyExport(readLines(positional[0]), { trustedKeys });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (report.problem) process.stderr.write(`verification FAILED: ${report.problem.message}\n`);
    return report.ok ? 0 : 1;
  }
  if (verb === 'replay' && positional[0]) {
    const atText = ctx.option(args, 'at');
    if (!atText) throw new Error('audit replay needs --at <RFC 3339 time>');
    process.stdout.write(`${JSON.stringify(await replay(positional[0], atText), null, 2)}\n`);
    return 0;
  }
  throw new Error(`usage:\n${AUDIT_USAGE}`);
}

async function exportToStdout(ctx: AuditCliContext, org: string, since: string | undefined): Promise<number> {
  if (since) parseInstant('since', since);
  const query = since ? `?since=${encodeURIComponent(since)}` : '';
  // An auditor's own token (CMK_AUDIT_TOKEN) uses the org route; otherwise the operator's.
  const auditToken = process.env['CMK_AUDIT_TOKEN'];
  const path = auditToken ? `/api/orgs/${encodeURIComponent(org)}/audit/export` : `/api/admin/orgs/${encodeURIComponent(org)}/audit/export`;
  const response = await fetch(`${ctx.apiUrl}${path}${query}`, { headers: { authorization: `Bearer ${auditToken ?? ctx.operatorToken()}` } });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  let lines = 0;
  let lastReport = Date.now();
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    for (const byte of chunk) if (byte === 10) lines += 1;
    // Backpressure: wait for stdout to drain before pulling more from the api.
    if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    if (Date.now() - lastReport >= 1000) {
      lastReport = Date.now();
      process.stderr.write(`audit export: ${lines} lines\n`);
    }
  }
  process.stderr.write(`audit export: done, ${lines} lines\n`);
  return 0;
}

async function replay(file: string, atText: string) {
  const at = parseInstant('at', atText);
  let pit: PointInTime | undefined;
  for await (const raw of readLines(file)) {
    const line = raw as Record<string, unknown>;
    if (line['kind'] === 'header') pit = new PointInTime(String(line['org']), at);
    if (line['kind'] === 'event' && pit) {
      const { kind: _kind, ...entry } = line;
      pit.applyEntry(entry as unknown as AuditEntry);
    }
  }
  if (!pit) throw new Error(`${file} has no header line: not an audit export`);
  const doc = pit.keys();
  return {
    org: pit.orgId,
    at: at.toISOString(),
    keyRing: { keys: doc.keys.map(({ id, name, type, awsKms, isDefault, state, addedAt }) => ({ id, name, type, awsKms, isDefault, state, addedAt })), defaultKeyId: doc.defaultKeyId },
    dataKeys: pit.wrappings(),
  };
}
