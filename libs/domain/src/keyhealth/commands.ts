import type { Message } from '../shared/metadata';
import type { HealthState } from './events';

/** Record the health a probe (or its confirmations) established for one key. */
export type RecordKeyHealth = Message<
  'RecordKeyHealth',
  { orgId: string; keyId: string; state: HealthState; reason: string; code?: string; since: string }
>;

export type KeyHealthCommand = RecordKeyHealth;
