/**
 * The one place that builds and parses stream names. Nothing else concatenates stream strings.
 *
 * | stream | holds |
 * |---|---|
 * | `org-<orgId>` | organisation registration, edition, access tokens |
 * | `keyring-<orgId>` | the org's customer managed keys and re-encryption runs |
 * | `datakey-<dataKeyId>` | one data key's wrapped forms over time |
 * | `datakeyquota-<orgId>` | the running count of the org's data keys (scopes) against its limit |
 * | `keyhealth-<orgId>` | health changes of the org's customer managed keys (`KeyHealthChanged`) |
 * | `webhooks-<orgId>` | the org's webhook subscriptions |
 * | `meta-<name>` | facts about the deployment itself, e.g. `meta-store-identity` |
 * | `audit-<orgId>` | the org's audit hash chain and signed digests (never part of the audit feed itself) |
 */
export const STREAM_PREFIX = {
  org: 'org-',
  keyring: 'keyring-',
  datakey: 'datakey-',
  datakeyquota: 'datakeyquota-',
  keyhealth: 'keyhealth-',
  webhooks: 'webhooks-',
  meta: 'meta-',
  audit: 'audit-',
} as const;

export type StreamCategory = keyof typeof STREAM_PREFIX;

export interface ParsedStreamName {
  readonly category: StreamCategory;
  readonly id: string;
}

/** Ids that may appear in a stream name: lowercase letters, digits, `-` and `_`, 1–64 chars. */
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function build(category: StreamCategory, id: string): string {
  if (!ID_PATTERN.test(id)) throw new Error(`Invalid ${category} id for a stream name: ${JSON.stringify(id)}`);
  return STREAM_PREFIX[category] + id;
}

export const orgStream = (orgId: string): string => build('org', orgId);
export const keyringStream = (orgId: string): string => build('keyring', orgId);
export const dataKeyStream = (dataKeyId: string): string => build('datakey', dataKeyId);
export const dataKeyQuotaStream = (orgId: string): string => build('datakeyquota', orgId);
export const keyHealthStream = (orgId: string): string => build('keyhealth', orgId);
export const webhooksStream = (orgId: string): string => build('webhooks', orgId);
export const metaStream = (name: string): string => build('meta', name);
export const auditStream = (orgId: string): string => build('audit', orgId);

/** Parses a stream name built by this module; `undefined` for any other stream. */
export function parseStreamName(name: string): ParsedStreamName | undefined {
  for (const category of Object.keys(STREAM_PREFIX) as StreamCategory[]) {
    const prefix = STREAM_PREFIX[category];
    if (name.startsWith(prefix)) {
      const id = name.slice(prefix.length);
      return ID_PATTERN.test(id) ? { category, id } : undefined;
    }
  }
  return undefined;
}
