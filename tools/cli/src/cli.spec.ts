import { COMMAND_GROUPS } from './commands';
import { formatTable } from './output';
import { formatDuration, progressLine } from './progress';
import { dispatch, type Io } from './registry';

function capture(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => (out += t), stderr: (t) => (err += t), stdin: async () => '', interactive: false },
    out: () => out,
    err: () => err,
  };
}

describe('cmk command registry', () => {
  it('prints --help for every command of every group and exits 0', async () => {
    for (const group of COMMAND_GROUPS) {
      for (const command of group.commands) {
        const { io, out } = capture();
        expect(await dispatch(COMMAND_GROUPS, [group.name, command.name, '--help'], io)).toBe(0);
        expect(out()).toContain(`usage: cmk ${group.name} ${command.name}`);
        expect(out()).toContain('--output json|table');
      }
    }
  });

  it('refuses unknown flags, missing and extra positionals and a bad --output as usage errors', async () => {
    const { io } = capture();
    await expect(dispatch(COMMAND_GROUPS, ['keys', 'list', '--nope'], io)).rejects.toMatchObject({ name: 'UsageError' });
    await expect(dispatch(COMMAND_GROUPS, ['token', 'revoke', 'acme'], io)).rejects.toMatchObject({ name: 'UsageError', message: 'missing <tokenId>' });
    await expect(dispatch(COMMAND_GROUPS, ['org', 'create', 'a', 'b'], io)).rejects.toMatchObject({ name: 'UsageError', message: 'unexpected argument "b"' });
    await expect(dispatch(COMMAND_GROUPS, ['org', 'create', 'a', '-o', 'xml'], io)).rejects.toMatchObject({ name: 'UsageError' });
    await expect(dispatch(COMMAND_GROUPS, ['nope'], io)).rejects.toMatchObject({ name: 'UsageError' });
  });

  it('requires --role on token issue (no default privilege)', async () => {
    const { io } = capture();
    await expect(dispatch(COMMAND_GROUPS, ['token', 'issue', 'acme', 'bob'], io)).rejects.toMatchObject({ name: 'UsageError', message: '--role is required (admin, member or auditor)' });
    await expect(dispatch(COMMAND_GROUPS, ['token', 'issue', 'acme', 'bob', '--role', 'owner'], io)).rejects.toMatchObject({ name: 'UsageError' });
  });

  it('exits 2 with the overview when no group is given', async () => {
    const { io, err } = capture();
    expect(await dispatch(COMMAND_GROUPS, [], io)).toBe(2);
    expect(err()).toContain('usage: cmk <group>');
  });
});

describe('progress line', () => {
  it('fills the bar with handled keys and shows the ETA while running', () => {
    expect(progressLine({ id: 'r', state: 'running', total: 200, done: 80, failed: 10, etaSeconds: 95 }, 10)).toBe('[#####-----]  45% 90/200 (10 failed) ETA 1m 35s');
    expect(progressLine({ id: 'r', state: 'running', total: 0, done: 0, failed: 0, etaSeconds: null }, 4)).toBe('[----]   0% 0/0 ETA -');
  });

  it('reaches 100% with the outcome when the run finished', () => {
    expect(progressLine({ id: 'r', state: 'failed', total: 10, done: 7, failed: 3 }, 10)).toBe('[##########] 100% 10/10 (3 failed) failed');
  });

  it('formats durations', () => {
    expect([formatDuration(4), formatDuration(75), formatDuration(7_260)]).toEqual(['4s', '1m 15s', '2h 01m']);
  });
});

describe('table output', () => {
  it('pads columns to the widest cell and shows missing values as -', () => {
    expect(formatTable([{ id: 'k1', name: 'Production' }, { id: 'key-22' }], ['id', 'name'])).toBe('id      name\nk1      Production\nkey-22  -');
  });
});

describe('cmk audit', () => {
  it('is registered and refuses an export without --org and a replay without --at (usage errors)', async () => {
    const { io } = capture();
    await expect(dispatch(COMMAND_GROUPS, ['audit', 'export'], io)).rejects.toMatchObject({ name: 'UsageError', message: '--org is required' });
    await expect(dispatch(COMMAND_GROUPS, ['audit', 'replay', 'file.jsonl'], io)).rejects.toMatchObject({ name: 'UsageError', message: '--at is required' });
    await expect(dispatch(COMMAND_GROUPS, ['audit', 'verify'], io)).rejects.toMatchObject({ name: 'UsageError' });
  });
});
