import { PLATFORM_KEY_ID, type KeyAdded, type KeyringEvent } from '@cmk/domain';
import { unreachable } from './unreachable';
import { evolveRun, type ReencryptionBanner } from './reencryption-banner';

export type KeyViewState = 'active' | 'disabling' | 'disabled';

/** One customer managed key as the admin's key list shows it. */
export interface KeyView {
  readonly id: string;
  readonly name: string;
  readonly type: 'aws_kms';
  readonly awsKms: { readonly roleArn: string; readonly keyArn: string };
  readonly resolvedKeyArn: string;
  readonly isDefault: boolean;
  readonly state: KeyViewState;
  readonly canSetDefault: boolean;
  readonly canDisable: boolean;
  /** `metadata.occurredAt` of `KeyAdded`. */
  readonly addedAt: string;
}

/** The key list read model of one org. */
export interface KeyListDoc {
  readonly orgId: string;
  /** In the order the keys were added. */
  readonly keys: readonly KeyView[];
  /** `platform` or the id of a customer managed key. */
  readonly defaultKeyId: string;
  /** The current or last re-encryption run (the UI hides a completed one); null before the first. */
  readonly reencryption: ReencryptionBanner | null;
}

export function initialKeyListDoc(orgId: string): KeyListDoc {
  return { orgId, keys: [], defaultKeyId: PLATFORM_KEY_ID, reencryption: null };
}

function keyViewOf(event: KeyAdded): KeyView {
  const { keyId, name, roleArn, keyArn, resolvedKeyArn } = event.data;
  return {
    id: keyId,
    name,
    type: 'aws_kms',
    awsKms: { roleArn, keyArn },
    resolvedKeyArn,
    isDefault: false,
    state: 'active',
    canSetDefault: false,
    canDisable: false,
    addedAt: event.metadata.occurredAt,
  };
}

/** Moves the named keys from `active` to `disabling`; other states are already further along. */
function startDisabling(keys: readonly KeyView[], keyIds: readonly string[]): KeyView[] {
  return keys.map((key) => (keyIds.includes(key.id) && key.state === 'active' ? { ...key, state: 'disabling' } : key));
}

/**
 * Derives the per-key flags the product rules define, so the UI never re-implements them:
 * a key can become default when it is active, not default and not part of a running run; it can
 * be disabled when it is active, not default, no run is running at all, and no failed run still
 * waits for a retry (its sources are still disabling).
 */
function withFlags(doc: KeyListDoc): KeyListDoc {
  const running = doc.reencryption?.state === 'running' ? doc.reencryption : null;
  const failed = doc.reencryption?.state === 'failed' ? doc.reencryption : null;
  const retryPending = failed !== null && doc.keys.some((key) => failed.from.includes(key.id) && key.state === 'disabling');
  const busy = new Set(running ? [...running.from, running.to] : []);
  const keys = doc.keys.map((key) => {
    const isDefault = key.id === doc.defaultKeyId;
    const free = key.state === 'active' && !isDefault;
    return { ...key, isDefault, canSetDefault: free && !busy.has(key.id), canDisable: free && running === null && !retryPending };
  });
  return { ...doc, keys };
}

/** Pure projection of the keyring stream into the key list. Idempotent for a repeated event. */
export function evolveKeyList(doc: KeyListDoc, event: KeyringEvent): KeyListDoc {
  switch (event.type) {
    case 'KeyAdded':
      if (doc.keys.some((key) => key.id === event.data.keyId)) return doc;
      return withFlags({ ...doc, keys: [...doc.keys, keyViewOf(event)] });
    case 'DefaultChanged':
      return withFlags({ ...doc, defaultKeyId: event.data.to });
    case 'KeyDisabled':
      return withFlags({ ...doc, keys: startDisabling(doc.keys, [event.data.keyId]) });
    case 'AllKeysDisabled':
      return withFlags({ ...doc, keys: startDisabling(doc.keys, event.data.keyIds) });
    case 'ReencryptionStarted':
    case 'ReencryptionProgressed':
    case 'ReencryptionFailed':
      // A failed run leaves its sources `disabling`: their data keys still sit partly under them.
      return withFlags({ ...doc, reencryption: evolveRun(doc.reencryption, event) });
    case 'ReencryptionCompleted': {
      const run = doc.reencryption;
      if (run?.id !== event.data.reencryptionId) return doc;
      const keys = doc.keys.map((key) => (run.from.includes(key.id) && key.state === 'disabling' ? { ...key, state: 'disabled' as const } : key));
      return withFlags({ ...doc, keys, reencryption: evolveRun(run, event) });
    }
    case 'PlatformOrgKeyDestroyed':
      return doc;
    default:
      return unreachable(event);
  }
}
