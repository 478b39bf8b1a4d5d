import { createHash } from 'node:crypto';

/**
 * When each key is probed. Every worker computes the same answer without talking to the others:
 * a key's offset inside the interval comes from a hash of its ids (the jitter that spreads
 * probes of many keys over the interval), and the slot number names the job. So N workers
 * adding "the probe of key K in slot S" add one job.
 */
export function offsetMs(orgId: string, keyId: string, intervalMs: number): number {
  const digest = createHash('sha256').update(`${orgId}/${keyId}`).digest();
  return digest.readUInt32BE(0) % intervalMs;
}

/** The interval slot `now` falls in for this key (slot boundaries are shifted by its offset). */
export function slotOf(orgId: string, keyId: string, intervalMs: number, now: number): number {
  return Math.floor((now - offsetMs(orgId, keyId, intervalMs)) / intervalMs);
}

/** When `slot` of this key starts (epoch ms). */
export function slotStart(orgId: string, keyId: string, intervalMs: number, slot: number): number {
  return slot * intervalMs + offsetMs(orgId, keyId, intervalMs);
}

/** How often a worker looks for keys whose slot has started: a quarter interval, 0.2–15 s. */
export function tickMs(intervalMs: number): number {
  return Math.min(15_000, Math.max(200, Math.floor(intervalMs / 4)));
}
