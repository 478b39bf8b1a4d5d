import { adminIssueToken, adminRevokeToken } from '@cmk/api-client';
import { operatorToken } from '../api-client';
import { UsageError } from '../errors';
import type { CommandGroup } from '../registry';

/** `cmk token …`: org users' access tokens (operator). */
export const tokenCommands: CommandGroup = {
  name: 'token',
  summary: "issue and revoke org users' access tokens (operator token)",
  commands: [
    {
      name: 'issue',
      summary: 'issue a token for a user of an org (printed once; stored hashed)',
      positionals: ['org', 'user'],
      options: { role: { type: 'string', description: '--role admin|member|auditor    required: what the token may do' } },
      async run({ api, positionals: [org, user], values, usage }) {
        const role = values['role'];
        // No default on purpose: an admin token by accident is a privilege the operator did not choose.
        if (role !== 'admin' && role !== 'member' && role !== 'auditor') {
          throw new UsageError(role === undefined ? '--role is required (admin, member or auditor)' : `--role must be admin, member or auditor (got "${String(role)}")`, usage);
        }
        return { json: await api(operatorToken).call((client) => adminIssueToken({ client, path: { org }, body: { user, role } })) };
      },
    },
    {
      name: 'revoke',
      summary: 'revoke a token (effective within a second)',
      positionals: ['org', 'tokenId'],
      async run({ api, positionals: [org, tokenId] }) {
        return { json: await api(operatorToken).call((client) => adminRevokeToken({ client, path: { org, tokenId } })) };
      },
    },
  ],
};
