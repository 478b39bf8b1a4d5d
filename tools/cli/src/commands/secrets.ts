import { secretsDecrypt, secretsEncrypt } from '@cmk/api-client';
import { orgOf, userToken } from '../api-client';
import { UsageError } from '../errors';
import type { CommandContext, CommandGroup, OptionSpec } from '../registry';

const ORG: Record<string, OptionSpec> = { org: { type: 'string', description: '--org LOGIN            the organisation (default CMK_ORG)' } };
const STDIN_NOTE = 'Reads standard input: one item per line (a final newline is ignored). Authenticates with CMK_TOKEN (member or admin).';

/** Standard input as items, one per line; `--whole` takes it as a single value. */
async function stdinItems(context: CommandContext): Promise<string[]> {
  const text = await context.io.stdin();
  if (context.values['whole'] === true) return [text];
  const items = text.replace(/\r?\n$/, '').split(/\r?\n/);
  if (text === '' || items.length === 0) throw new UsageError('nothing on standard input', context.usage);
  return items;
}

const orgArg = (context: CommandContext) => orgOf(context.values['org'] as string | undefined, context.usage);

/** `cmk secrets …`: encrypt and decrypt values through the api, reading standard input. */
export const secretsCommands: CommandGroup = {
  name: 'secrets',
  summary: 'encrypt or decrypt values read from standard input (CMK_TOKEN)',
  commands: [
    {
      name: 'encrypt',
      summary: 'encrypt each line of stdin under --scope; prints the ciphertexts',
      options: {
        ...ORG,
        scope: { type: 'string', description: '--scope SCOPE          required: the scope the values are bound to' },
        whole: { type: 'boolean', description: '--whole                all of stdin is one value (may contain newlines)' },
      },
      notes: STDIN_NOTE,
      async run(context) {
        const scope = context.values['scope'];
        if (typeof scope !== 'string' || scope === '') throw new UsageError('--scope is required', context.usage);
        const values = await stdinItems(context);
        const result = await context.api(userToken).call((client) => secretsEncrypt({ client, path: { org: orgArg(context) }, body: { scope, values } }));
        return { json: result, table: () => result.ciphertexts.join('\n') };
      },
    },
    {
      name: 'decrypt',
      summary: 'decrypt each line of stdin (a ciphertext); prints the values',
      options: ORG,
      notes: STDIN_NOTE,
      async run(context) {
        const ciphertexts = (await stdinItems(context)).map((line) => line.trim()).filter((line) => line !== '');
        const result = await context.api(userToken).call((client) => secretsDecrypt({ client, path: { org: orgArg(context) }, body: { ciphertexts } }));
        return { json: result, table: () => result.values.join('\n') };
      },
    },
  ],
};
