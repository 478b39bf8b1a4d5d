import { exportToStdout, replayFile, verifyFile } from '../audit';
import { operatorToken } from '../api-client';
import { UsageError } from '../errors';
import type { CommandGroup } from '../registry';

/** `cmk audit …`: an org's audit history, its export, offline verification and replay. */
export const auditCommands: CommandGroup = {
  name: 'audit',
  summary: 'export an org audit history; verify and replay an export offline',
  commands: [
    {
      name: 'export',
      summary: 'JSON Lines of the whole history with its hash chain and signed digests, on stdout (progress on stderr)',
      options: {
        org: { type: 'string', description: '--org ORG              required: the organisation' },
        since: { type: 'string', description: '--since TIME           RFC 3339: from the first chain batch reaching it' },
      },
      notes: 'Token: CMK_AUDIT_TOKEN (an auditor or admin token of the org), else the operator token.',
      async run({ values, usage }) {
        const org = values['org'];
        if (typeof org !== 'string') throw new UsageError('--org is required', usage);
        const auditToken = process.env['CMK_AUDIT_TOKEN'];
        const token = auditToken ? { value: auditToken, asAuditor: true } : { value: operatorToken(), asAuditor: false };
        const apiUrl = typeof values['api-url'] === 'string' ? values['api-url'] : (process.env['CMK_API_URL'] ?? 'http://127.0.0.1:3000');
        return exportToStdout(apiUrl, token, org, typeof values['since'] === 'string' ? values['since'] : undefined);
      },
    },
    {
      name: 'verify',
      summary: 'recompute the chain and check every digest; exit 1 naming the first altered, missing or reordered event',
      positionals: ['file'],
      options: { jwks: { type: 'string', description: '--jwks FILE            trusted keys (GET /audit/.well-known/jwks); default: the export\'s own' } },
      async run({ positionals: [file], values }) {
        return (await verifyFile(file, typeof values['jwks'] === 'string' ? values['jwks'] : undefined)).exitCode;
      },
    },
    {
      name: 'replay',
      summary: "the key ring and each data key's wrapping key at an instant, from the export alone",
      positionals: ['file'],
      options: { at: { type: 'string', description: '--at TIME              required: RFC 3339 instant' } },
      async run({ positionals: [file], values, usage }) {
        const at = values['at'];
        if (typeof at !== 'string') throw new UsageError('--at is required', usage);
        return { json: await replayFile(file, at) };
      },
    },
  ],
};
