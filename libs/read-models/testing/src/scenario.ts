import { keyAdded, keyring, dataKeyIssued, dataKeyRewrapped, type RawSpecEvent } from './events';

const at = (seconds: number): string => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();

/**
 * A realistic life of one org, in per-stream order: data keys under the platform key, a first
 * CMK with its re-encryption, more data keys, a second key, disabling the first, and a run that
 * fails halfway. `dataKeys` data keys are issued in the first phase and again in the second.
 */
export function orgLife(orgId: string, dataKeys: number): RawSpecEvent[] {
  const events: RawSpecEvent[] = [];
  const first = Array.from({ length: dataKeys }, (_, i) => `${orgId}-a${i}`);
  const second = Array.from({ length: dataKeys }, (_, i) => `${orgId}-b${i}`);
  const k1 = `${orgId}-k1`;
  const k2 = `${orgId}-k2`;
  for (const id of first) events.push(dataKeyIssued(orgId, id, 'platform'));
  events.push(keyAdded(orgId, k1, at(1)), keyring(orgId, 'DefaultChanged', { from: 'platform', to: k1 }, at(1)));
  events.push(keyring(orgId, 'ReencryptionStarted', { reencryptionId: `${orgId}-r1`, from: ['platform'], to: k1, reason: 'first-key' }, at(1)));
  first.forEach((id, i) => {
    events.push(dataKeyRewrapped(orgId, id, 'platform', k1, `${orgId}-r1`));
    if (i % 5 === 4) events.push(keyring(orgId, 'ReencryptionProgressed', { reencryptionId: `${orgId}-r1`, done: i + 1, failed: 0, total: dataKeys }, at(2 + i)));
  });
  events.push(keyring(orgId, 'ReencryptionCompleted', { reencryptionId: `${orgId}-r1`, rewrapped: dataKeys, failed: 0 }, at(3 + dataKeys)));
  for (const id of second) events.push(dataKeyIssued(orgId, id, k1));
  events.push(keyAdded(orgId, k2, at(dataKeys + 10)));
  events.push(keyring(orgId, 'KeyDisabled', { keyId: k1, reencryptTo: k2 }, at(dataKeys + 11)));
  events.push(keyring(orgId, 'ReencryptionStarted', { reencryptionId: `${orgId}-r2`, from: [k1], to: k2, reason: 'key-disabled' }, at(dataKeys + 11)));
  const moved = [...first, ...second].slice(0, dataKeys);
  for (const id of moved) events.push(dataKeyRewrapped(orgId, id, k1, k2, `${orgId}-r2`));
  events.push(
    keyring(
      orgId,
      'ReencryptionFailed',
      { reencryptionId: `${orgId}-r2`, reason: 'KMS access denied', rewrapped: dataKeys, failed: dataKeys, failuresByCode: { KMS_ACCESS_DENIED: dataKeys } },
      at(2 * dataKeys + 20),
    ),
  );
  return events;
}

/** Interleaves several orgs' event lists, keeping each list's own order. */
export function interleave(...lists: RawSpecEvent[][]): RawSpecEvent[] {
  const out: RawSpecEvent[] = [];
  const longest = Math.max(...lists.map((list) => list.length));
  for (let i = 0; i < longest; i++) for (const list of lists) if (i < list.length) out.push(list[i]);
  return out;
}
