import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OidcSigningKeyStore, PlatformMasterKeyring } from '@cmk/key-providers';
import { retirePlatformVersion } from './retire-platform';

/**
 * Operator CLI over the admin API:
 *   npm run cli -- org create <login> [--edition enterprise] [--name "Acme Corp"]
 *   npm run cli -- org edition <login> <edition>
 *   npm run cli -- token issue <org> <user> [--role admin|member]
 *   npm run cli -- token revoke <org> <tokenId>
 *   npm run cli -- keys rotate-oidc [--activate-after-seconds 3600]
 *   npm run cli -- keys rotate-platform
 *   npm run cli -- keys retire-platform <version>
 * The `keys` commands act on the key files in CMK_DATA_DIR (run them where the api runs; every
 * replica sharing the directory picks the change up). Reads `CMK_API_URL` (default http://127.0.0.1:3000) and `CMK_OPERATOR_TOKEN` (default: the
 * token `npm start` wrote to `<CMK_DATA_DIR>/operator-token`).
 */
const USAGE = `usage:
  cli org create <login> [--edition free|team|enterprise|business-critical] [--name NAME]
  cli org edition <login> <edition>
  cli token issue <org> <user> [--role admin|member]
  cli token revoke <org> <tokenId>
  cli keys rotate-oidc [--activate-after-seconds N]   (publish a new OIDC signing key now, sign with it after N s)
  cli keys rotate-platform                            (add a platform master key version; the worker rewraps org platform keys to it)
  cli keys retire-platform <version>                  (remove an old version once nothing depends on it; refuses naming what does)`;

const dataDir = () => resolve(process.env['CMK_DATA_DIR'] ?? './.data');

function operatorToken(): string {
  const fromEnv = process.env['CMK_OPERATOR_TOKEN'];
  if (fromEnv) return fromEnv;
  const file = join(dataDir(), 'operator-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new Error('Set CMK_OPERATOR_TOKEN (or run `npm start` once, which writes .data/operator-token)');
}

function option(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
}

async function call(path: string, body: unknown): Promise<unknown> {
  const base = (process.env['CMK_API_URL'] ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken()}` },
    body: JSON.stringify(body),
  });
  const payload: unknown = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${JSON.stringify(payload)}`);
  return payload;
}

async function main(args: string[]): Promise<unknown> {
  const [noun, verb, ...rest] = args;
  const positional = rest.filter((arg, i) => !arg.startsWith('--') && !(i > 0 && rest[i - 1].startsWith('--')));
  if (noun === 'org' && verb === 'create' && positional[0]) {
    return call('/api/admin/orgs', { login: positional[0], edition: option(rest, 'edition', 'enterprise'), name: option(rest, 'name', positional[0]) });
  }
  if (noun === 'org' && verb === 'edition' && positional[1]) return call(`/api/admin/orgs/${positional[0]}/edition`, { edition: positional[1] });
  if (noun === 'token' && verb === 'issue' && positional[1]) {
    return call(`/api/admin/orgs/${positional[0]}/tokens`, { user: positional[1], role: option(rest, 'role', 'admin') });
  }
  if (noun === 'token' && verb === 'revoke' && positional[1]) return call(`/api/admin/orgs/${positional[0]}/tokens/${positional[1]}/revoke`, {});
  if (noun === 'keys' && verb === 'rotate-oidc') {
    const activateAfterSeconds = Number(option(rest, 'activate-after-seconds', '0'));
    if (!Number.isInteger(activateAfterSeconds) || activateAfterSeconds < 0) throw new Error('--activate-after-seconds must be a whole number of seconds');
    const tokenTtlSeconds = Number(process.env['CMK_OIDC_TOKEN_TTL_SECONDS'] ?? 300);
    const store = await OidcSigningKeyStore.open({ dataDir: dataDir(), tokenTtlSeconds });
    const kid = await store.rotate({ activateAfterMs: activateAfterSeconds * 1_000 });
    return { kid, signsFrom: new Date(Date.now() + activateAfterSeconds * 1_000).toISOString() };
  }
  if (noun === 'keys' && verb === 'rotate-platform') {
    if (process.env['CMK_PLATFORM_MASTER_KEY']) throw new Error('CMK_PLATFORM_MASTER_KEY is set: rotate by adding a version there (1:<b64>,2:<b64>)');
    const keyring = await PlatformMasterKeyring.open({ dataDir: dataDir() });
    return { version: await keyring.rotate() };
  }
  if (noun === 'keys' && verb === 'retire-platform' && positional[0]) {
    if (process.env['CMK_PLATFORM_MASTER_KEY']) throw new Error('CMK_PLATFORM_MASTER_KEY is set: retire a version by removing it there');
    return retirePlatformVersion(dataDir(), Number(positional[0]), process.env['EVENTSTORE_URL']);
  }
  throw new Error(USAGE);
}

main(process.argv.slice(2)).then(
  (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
