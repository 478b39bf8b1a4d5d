import { PLATFORM_KEY_ID } from '@cmk/domain';
import type { KeyListDoc } from '@cmk/read-models';

export interface WrappingKeySummary {
  readonly keyId: string;
  readonly name: string;
  readonly type: 'platform' | 'aws_kms';
  /** `active` for the platform key. */
  readonly state: string;
  readonly isDefault: boolean;
  readonly dataKeys: number;
}

export interface DataKeySummary {
  readonly wrappingKeys: WrappingKeySummary[];
  readonly totalDataKeys: number;
}

export const PLATFORM_KEY_NAME = 'Platform managed key';

/**
 * Joins the data-key index counts with the key list: the platform key first, then every key in
 * the order added (0 when it wraps nothing), then any wrapper the key list does not know yet
 * (the two read models catch up independently) under its id.
 */
export function summariseDataKeys(counts: Readonly<Record<string, number>>, keyList: KeyListDoc): DataKeySummary {
  const wrappingKeys: WrappingKeySummary[] = [
    { keyId: PLATFORM_KEY_ID, name: PLATFORM_KEY_NAME, type: 'platform', state: 'active', isDefault: keyList.defaultKeyId === PLATFORM_KEY_ID, dataKeys: counts[PLATFORM_KEY_ID] ?? 0 },
    ...keyList.keys.map((key) => ({ keyId: key.id, name: key.name, type: key.type, state: key.state, isDefault: key.isDefault, dataKeys: counts[key.id] ?? 0 })),
  ];
  const known = new Set(wrappingKeys.map((key) => key.keyId));
  for (const [keyId, dataKeys] of Object.entries(counts)) {
    if (!known.has(keyId)) wrappingKeys.push({ keyId, name: keyId, type: 'aws_kms', state: 'unknown', isDefault: false, dataKeys });
  }
  return { wrappingKeys, totalDataKeys: wrappingKeys.reduce((sum, key) => sum + key.dataKeys, 0) };
}
