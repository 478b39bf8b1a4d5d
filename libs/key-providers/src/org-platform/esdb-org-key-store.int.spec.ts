import { EventStoreDBClient } from '@eventstore/db-client';
import { startEsdbEmulator, type EsdbEmulator } from '@cmk/esdb-emulator';
import { orgKeyStoreContract } from '@cmk/key-providers/testing';
import { EsdbOrgKeyStore } from './esdb-org-key-store';

/** Every string in an event's JSON, and its base64 decoding: where wrapped key bytes could sit. */
function bytesOf(value: unknown): Buffer[] {
  if (typeof value === 'string') return [Buffer.from(value), Buffer.from(value, 'base64')];
  if (value && typeof value === 'object') return Object.values(value).flatMap(bytesOf);
  return [];
}

describe('EsdbOrgKeyStore (through the EventStoreDB gRPC emulator)', () => {
  let emulator: EsdbEmulator;
  beforeEach(async () => {
    emulator = await startEsdbEmulator();
  });
  afterEach(async () => {
    await emulator.close();
  });

  orgKeyStoreContract({
    open: async () => EsdbOrgKeyStore.open(emulator.url),
    // After a scavenge (the step an operator schedules on EventStoreDB), `$all` holds no copy.
    rawBytes: async () => {
      emulator.scavenge();
      const client = EventStoreDBClient.connectionString(emulator.url);
      try {
        const parts: Buffer[] = [];
        for await (const resolved of client.readAll()) parts.push(...bytesOf(resolved.event?.data));
        return Buffer.concat(parts);
      } finally {
        await client.dispose();
      }
    },
  });

  it('keeps a destroyed generation readable in $all until the scavenge, as a real server does', async () => {
    const store = EsdbOrgKeyStore.open(emulator.url);
    const client = EventStoreDBClient.connectionString(emulator.url);
    const wrapped = Buffer.from('0123456789abcdef0123456789abcdef');
    const inAll = async () => {
      const parts: Buffer[] = [];
      for await (const resolved of client.readAll()) parts.push(...bytesOf(resolved.event?.data));
      return Buffer.concat(parts).includes(wrapped);
    };
    try {
      await store.create({ orgId: 'acme', generation: 1, wrapped, kekRef: 'platform:v1', createdAt: '2026-01-01T00:00:00.000Z' });
      await store.destroy('acme', 1, '2026-01-01T00:00:05.000Z');
      expect(await store.get('acme', 1)).toEqual({ status: 'destroyed', orgId: 'acme', generation: 1, destroyedAt: '2026-01-01T00:00:05.000Z' });
      expect(await inAll()).toBe(true);
      expect(emulator.scavenge()).toBe(1);
      expect(await inAll()).toBe(false);
      expect(await store.get('acme', 1)).toMatchObject({ status: 'destroyed' });
    } finally {
      await client.dispose();
      await store.close();
    }
  });
});
