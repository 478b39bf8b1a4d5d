import { adminChangeEdition, adminCreate, type CreateOrgDto } from '@cmk/api-client';
import { operatorToken } from '../api-client';
import type { CommandGroup } from '../registry';

const EDITIONS = 'free|team|enterprise|business-critical';
/** Passed through as typed: the api validates it and answers 400 naming the field. */
type Edition = CreateOrgDto['edition'];

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
        const body: CreateOrgDto = { login, edition: String(values['edition'] ?? 'enterprise') as Edition, name: String(values['name'] ?? login) };
        return { json: await api(operatorToken).call((client) => adminCreate({ client, body })) };
      },
    },
    {
      name: 'edition',
      summary: `change an organisation's edition (${EDITIONS})`,
      positionals: ['login', 'edition'],
      async run({ api, positionals: [login, edition] }) {
        return { json: await api(operatorToken).call((client) => adminChangeEdition({ client, path: { org: login }, body: { edition: edition as Edition } })) };
      },
    },
  ],
};
