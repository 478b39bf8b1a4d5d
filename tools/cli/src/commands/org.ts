import { operatorToken } from '../api-client';
import type { CommandGroup } from '../registry';

const EDITIONS = 'free|team|enterprise|business-critical';

/** `cmk org …`: register organisations and change their edition (operator). */
export const orgCommands: CommandGroup = {
  name: 'org',
  summary: 'register organisations and change their edition (operator token)',
  commands: [
    {
      name: 'create',
      summary: 'register an organisation',
      positionals: ['login'],
      options: {
        edition: { type: 'string', description: `--edition ${EDITIONS}   (default enterprise)` },
        name: { type: 'string', description: '--name NAME            display name (default: the login)' },
      },
      async run({ api, positionals: [login], values }) {
        const body = { login, edition: values['edition'] ?? 'enterprise', name: values['name'] ?? login };
        return { json: await api(operatorToken).post('/api/admin/orgs', body) };
      },
    },
    {
      name: 'edition',
      summary: `change an organisation's edition (${EDITIONS})`,
      positionals: ['login', 'edition'],
      async run({ api, positionals: [login, edition] }) {
        return { json: await api(operatorToken).post(`/api/admin/orgs/${encodeURIComponent(login)}/edition`, { edition }) };
      },
    },
  ],
};
