import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orgCodec, orgDecider, orgStream, type Edition, type EventMetadata, type OrgCommand } from '@cmk/domain';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { ApplicationError } from './application-error';
import { handleCommand, requestFingerprint } from './command-path';
const meta = (): EventMetadata => {
  const id = randomUUID();
  return { actor: 'operator', requestId: id, correlationId: id, causationId: id, occurredAt: new Date().toISOString() };
};
const register = (orgId: string): OrgCommand => ({ type: 'RegisterOrganization', data: { orgId, name: orgId, edition: 'free' }, metadata: meta() });
const changeEdition = (orgId: string, edition: Edition): OrgCommand => ({ type: 'ChangeEdition', data: { orgId, edition }, metadata: meta() });
let seq = 0;
const newOrg = () => `idem-${++seq}-${randomUUID().slice(0, 8)}`;

describe('handleCommand: idempotency keys belong to the request that first used them', () => {
  let dir: string;
  let store: EventStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-command-path-'));
    store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (orgId: string, command: OrgCommand, idempotencyKey?: string, fingerprint?: string) =>
    handleCommand(store, orgStream(orgId), orgDecider, orgCodec, command, { idempotencyKey, fingerprint });

  async function refusal(promise: Promise<unknown>): Promise<ApplicationError> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationError);
    return error as ApplicationError;
  }

  it('replays the first result for the same command and parameters', async () => {
    const org = newOrg();
    await run(org, register(org));
    const first = await run(org, changeEdition(org, 'enterprise'), 'k-1', requestFingerprint('ChangeEdition', { edition: 'enterprise' }));
    const again = await run(org, changeEdition(org, 'enterprise'), 'k-1', requestFingerprint('ChangeEdition', { edition: 'enterprise' }));
    expect(first.replayed).toBe(false);
    expect(again.replayed).toBe(true);
    expect(again.events).toEqual(first.events);
    expect(await store.readStream(orgStream(org))).toHaveLength(2);
  });

  it('refuses the key for another command on the same stream instead of answering with the first result', async () => {
    const org = newOrg();
    await run(org, register(org), 'shared-key');
    const error = await refusal(run(org, changeEdition(org, 'enterprise'), 'shared-key'));
    expect(error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(error.httpStatus).toBe(422);
    expect(await store.readStream(orgStream(org))).toHaveLength(1);
  });

  it('refuses the key for the same command with other parameters', async () => {
    const org = newOrg();
    await run(org, register(org));
    await run(org, changeEdition(org, 'enterprise'), 'k-2', requestFingerprint('ChangeEdition', { edition: 'enterprise' }));
    const error = await refusal(run(org, changeEdition(org, 'team'), 'k-2', requestFingerprint('ChangeEdition', { edition: 'team' })));
    expect(error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await store.readStream(orgStream(org))).toHaveLength(2);
  });

  it('scopes keys to one stream: another organisation may use the same key', async () => {
    const a = newOrg();
    const b = newOrg();
    await run(a, register(a), 'same-key');
    const other = await run(b, register(b), 'same-key');
    expect(other.replayed).toBe(false);
    expect(other.events[0]).toMatchObject({ type: 'OrganizationRegistered', data: { orgId: b } });
  });

  it('replays events recorded before fingerprints existed', async () => {
    const org = newOrg();
    const id = randomUUID();
    await store.appendToStream(
      orgStream(org),
      [{ id, ...orgCodec.encode({ type: 'OrganizationRegistered', data: { orgId: org, name: org, edition: 'free' }, metadata: meta() }) }].map((e) => ({
        ...e,
        metadata: { ...e.metadata, idempotencyKey: 'legacy' },
      })),
      { expectedRevision: 'no_stream' },
    );
    expect((await run(org, register(org), 'legacy')).replayed).toBe(true);
  });

  it('fingerprints ignore parameter order and tell values apart', () => {
    expect(requestFingerprint('X', { a: '1', b: '2' })).toBe(requestFingerprint('X', { b: '2', a: '1' }));
    expect(requestFingerprint('X', { a: '1' })).not.toBe(requestFingerprint('X', { a: '2' }));
    expect(requestFingerprint('X', { a: '1' })).not.toBe(requestFingerprint('Y', { a: '1' }));
  });

  it('decides on a read the caller passes in, and re-reads after a conflict when that read was stale', async () => {
    const org = newOrg();
    await run(org, register(org));
    const stale = await store.readStream(orgStream(org));
    await run(org, changeEdition(org, 'enterprise'));
    // Decided on the stale read (edition free), the append conflicts; the retry reads enterprise.
    const result = await handleCommand(store, orgStream(org), orgDecider, orgCodec, changeEdition(org, 'team'), { recorded: stale });
    expect(result.events.map((e) => e.type)).toEqual(['EditionChanged']);
    const events = (await store.readStream(orgStream(org))).map((e) => orgCodec.decode(e));
    expect(events.map((e) => e.type)).toEqual(['OrganizationRegistered', 'EditionChanged', 'EditionChanged']);
    expect(events[2]).toMatchObject({ data: { from: 'enterprise', to: 'team' } });
    const fresh = await store.readStream(orgStream(org));
    await handleCommand(store, orgStream(org), orgDecider, orgCodec, changeEdition(org, 'free'), { recorded: fresh, maxAttempts: 1 });
    expect(await store.readStream(orgStream(org))).toHaveLength(4);
  });
});
