import { randomBytes } from 'node:crypto';
import type { OrgPlatformKeyStore } from '@cmk/key-providers';

export interface OrgKeyStoreContractOptions {
  /** A fresh, empty store per test. */
  open(): Promise<OrgPlatformKeyStore>;
  /**
   * Every byte the adapter keeps on disk (files, pages, logs), for the "really forgotten" check.
   * Omit for adapters whose storage cannot be read raw here (then document how it is removed).
   */
  rawBytes?(): Promise<Buffer>;
}

const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

/**
 * The suite every org platform key store runs (SQLite, EventStoreDB, PostgreSQL). Call it inside
 * a `describe` of the adapter's own spec.
 */
export function orgKeyStoreContract(options: OrgKeyStoreContractOptions): void {
  let store: OrgPlatformKeyStore;
  beforeEach(async () => {
    store = await options.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('creates a generation once: a second creator of the same generation loses and writes nothing', async () => {
    const first = randomBytes(60);
    expect(await store.create({ orgId: 'acme', generation: 1, wrapped: first, kekRef: 'platform:v1', createdAt: at(1) })).toBe(true);
    expect(await store.create({ orgId: 'acme', generation: 1, wrapped: randomBytes(60), kekRef: 'platform:v2', createdAt: at(2) })).toBe(false);
    const got = await store.get('acme', 1);
    expect(got).toEqual({ status: 'live', orgId: 'acme', generation: 1, wrapped: first, kekRef: 'platform:v1', createdAt: at(1) });
    expect(await store.get('acme', 2)).toBeUndefined();
    expect(await store.get('other', 1)).toBeUndefined();
  });

  it('lists generations oldest first, per org', async () => {
    await store.create({ orgId: 'acme', generation: 2, wrapped: randomBytes(60), kekRef: 'platform:v1', createdAt: at(2) });
    await store.create({ orgId: 'acme', generation: 1, wrapped: randomBytes(60), kekRef: 'platform:v1', createdAt: at(1) });
    await store.create({ orgId: 'beta', generation: 1, wrapped: randomBytes(60), kekRef: 'platform:v1', createdAt: at(3) });
    expect((await store.list('acme')).map((r) => r.generation)).toEqual([1, 2]);
    expect((await store.list('beta')).map((r) => r.generation)).toEqual([1]);
    expect(await store.list('nobody')).toEqual([]);
  });

  it('destroys a generation for good: no bytes returned, the number stays taken, repeats are harmless', async () => {
    const wrapped = randomBytes(60);
    await store.create({ orgId: 'acme', generation: 1, wrapped, kekRef: 'platform:v1', createdAt: at(1) });
    await store.destroy('acme', 1, at(5));
    await store.destroy('acme', 1, at(6));
    expect(await store.get('acme', 1)).toEqual({ status: 'destroyed', orgId: 'acme', generation: 1, destroyedAt: at(5) });
    expect(await store.create({ orgId: 'acme', generation: 1, wrapped: randomBytes(60), kekRef: 'platform:v1', createdAt: at(7) })).toBe(false);
    expect(await store.listLive()).toEqual([]);
    if (options.rawBytes) expect((await options.rawBytes()).includes(wrapped)).toBe(false);
  });

  it('rewraps a live generation (master rotation) and lists the live generations with their master key', async () => {
    const old = randomBytes(60);
    await store.create({ orgId: 'acme', generation: 1, wrapped: old, kekRef: 'platform:v1', createdAt: at(1) });
    await store.create({ orgId: 'beta', generation: 1, wrapped: randomBytes(60), kekRef: 'platform:v1', createdAt: at(1) });
    expect(await store.listLive()).toEqual([
      { orgId: 'acme', generation: 1, kekRef: 'platform:v1' },
      { orgId: 'beta', generation: 1, kekRef: 'platform:v1' },
    ]);
    const renewed = randomBytes(60);
    expect(await store.rewrap('acme', 1, renewed, 'platform:v2')).toBe(true);
    expect(await store.get('acme', 1)).toMatchObject({ status: 'live', wrapped: renewed, kekRef: 'platform:v2' });
    expect(await store.listLive()).toEqual([
      { orgId: 'acme', generation: 1, kekRef: 'platform:v2' },
      { orgId: 'beta', generation: 1, kekRef: 'platform:v1' },
    ]);
    await store.destroy('beta', 1, at(3));
    expect(await store.rewrap('beta', 1, randomBytes(60), 'platform:v2')).toBe(false);
    expect(await store.listLive()).toEqual([{ orgId: 'acme', generation: 1, kekRef: 'platform:v2' }]);
  });
}
