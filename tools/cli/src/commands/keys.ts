import { keysAdd, keysDisable, keysDisableAll, keysList, keysSetDefault } from '@cmk/api-client';
import { OidcSigningKeyStore, PlatformMasterKeyring } from '@cmk/key-providers';
import { dataDir, orgOf, userToken } from '../api-client';
import { CommandFailed, UsageError } from '../errors';
import { formatTable } from '../output';
import { retirePlatformKmsKey, retirePlatformVersion } from '../retire-platform';
import type { CommandContext, CommandGroup, OptionSpec } from '../registry';

const ORG: Record<string, OptionSpec> = { org: { type: 'string', description: '--org LOGIN            the organisation (default CMK_ORG)' } };
const ADMIN_NOTE = 'Authenticates with CMK_TOKEN (an org admin token).';

const orgArg = (context: CommandContext) => orgOf(context.values['org'] as string | undefined, context.usage);

/** `cmk keys …`: the org's customer managed keys (admin token), and key rotation on the data directory. */
export const keysCommands: CommandGroup = {
  name: 'keys',
  summary: "an org's customer managed keys (CMK_TOKEN), and platform/OIDC key rotation (CMK_DATA_DIR)",
  commands: [
    {
      name: 'list',
      summary: 'list the keys, which is default, and what each allows',
      options: ORG,
      notes: ADMIN_NOTE,
      async run(context) {
        const list = await context.api(userToken).call((client) => keysList({ client, path: { org: orgOf(context.values['org'] as string | undefined, context.usage) } }));
        return {
          json: list,
          table: () => formatTable(list.keys.map((k) => ({ ...k, default: k.isDefault ? 'yes' : '', keyArn: k.awsKms?.keyArn })), ['id', 'name', 'state', 'default', 'canSetDefault', 'canDisable', 'keyArn']),
        };
      },
    },
    {
      name: 'add',
      summary: 'add an AWS KMS key (verified first; the first key becomes default and starts re-encryption)',
      options: {
        ...ORG,
        name: { type: 'string', description: '--name NAME            required: the key name' },
        'role-arn': { type: 'string', description: '--role-arn ARN         required: the IAM role we assume' },
        'key-arn': { type: 'string', description: '--key-arn ARN          required: the KMS key (or alias) ARN' },
      },
      notes: ADMIN_NOTE,
      async run(context) {
        const [name, roleArn, keyArn] = ['name', 'role-arn', 'key-arn'].map((flag) => {
          const value = context.values[flag];
          if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`, context.usage);
          return value;
        });
        return { json: await context.api(userToken).call((client) => keysAdd({ client, path: { org: orgArg(context) }, body: { name, type: 'aws_kms', awsKms: { roleArn, keyArn } } })) };
      },
    },
    {
      name: 'set-default',
      summary: 'make a key the default for new data keys',
      positionals: ['keyId'],
      options: ORG,
      notes: ADMIN_NOTE,
      async run(context) {
        return { json: await context.api(userToken).call((client) => keysSetDefault({ client, path: { org: orgArg(context), keyId: context.positionals[0] } })) };
      },
    },
    {
      name: 'disable',
      summary: "disable a key, re-encrypting its data keys into --dest (another active key's id, or platform)",
      positionals: ['keyId'],
      options: { ...ORG, dest: { type: 'string', description: '--dest KEY_ID|platform required: where its data keys move' } },
      notes: ADMIN_NOTE,
      async run(context) {
        const dest = context.values['dest'];
        if (typeof dest !== 'string' || dest === '') throw new UsageError('--dest is required (a key id or platform)', context.usage);
        return { json: await context.api(userToken).call((client) => keysDisable({ client, path: { org: orgArg(context), keyId: context.positionals[0] }, body: { destID: dest } })) };
      },
    },
    {
      name: 'disable-all',
      summary: 'disable every key: all data keys move back under the platform key',
      options: ORG,
      notes: ADMIN_NOTE,
      async run(context) {
        return { json: await context.api(userToken).call((client) => keysDisableAll({ client, path: { org: orgArg(context) } })) };
      },
    },
    {
      name: 'rotate-oidc',
      summary: 'publish a new OIDC signing key now and sign with it after N seconds (on CMK_DATA_DIR)',
      options: { 'activate-after-seconds': { type: 'string', description: "--activate-after-seconds N   (default 0; give AWS's JWKS cache time)" } },
      async run({ values, usage }) {
        const raw = (values['activate-after-seconds'] as string | undefined) ?? '0';
        const seconds = Number(raw);
        if (!/^\d+$/.test(raw) || !Number.isSafeInteger(seconds)) throw new UsageError('--activate-after-seconds must be a whole number of seconds', usage);
        const tokenTtlSeconds = Number(process.env['CMK_OIDC_TOKEN_TTL_SECONDS'] ?? 300);
        const store = await OidcSigningKeyStore.open({ dataDir: dataDir(), tokenTtlSeconds });
        const kid = await store.rotate({ activateAfterMs: seconds * 1_000 });
        return { json: { kid, signsFrom: new Date(Date.now() + seconds * 1_000).toISOString() } };
      },
    },
    {
      name: 'rotate-platform',
      summary: 'add a platform master key version (new data keys use it; old versions still unwrap)',
      async run() {
        if (process.env['CMK_PLATFORM_MASTER_KEY']) throw new CommandFailed('CMK_PLATFORM_MASTER_KEY is set: rotate by adding a version there (1:<b64>,2:<b64>)');
        const keyring = await PlatformMasterKeyring.open({ dataDir: dataDir() });
        return { json: { version: await keyring.rotate() } };
      },
    },
    {
      name: 'retire-platform',
      summary: 'retire an old platform master key version, or the previous KMS platform key (by ARN), once nothing depends on it (refuses naming what does)',
      positionals: ['version|key-arn'],
      async run({ positionals, usage }) {
        const target = positionals[0];
        try {
          if (target.startsWith('arn:')) {
            return { json: await retirePlatformKmsKey(dataDir(), target, { currentArn: process.env['CMK_PLATFORM_KMS_KEY_ARN'], eventStoreUrl: process.env['EVENTSTORE_URL'] }) };
          }
          if (process.env['CMK_PLATFORM_MASTER_KEY']) throw new CommandFailed('CMK_PLATFORM_MASTER_KEY is set: retire a version by removing it there');
          if (!/^\d+$/.test(target)) throw new UsageError('<version> must be a whole number, or a KMS key ARN', usage);
          return { json: await retirePlatformVersion(dataDir(), Number(target), process.env['EVENTSTORE_URL']) };
        } catch (error) {
          if (error instanceof UsageError || error instanceof CommandFailed) throw error;
          throw new CommandFailed(error instanceof Error ? error.message : String(error));
        }
      },
    },
  ],
};
