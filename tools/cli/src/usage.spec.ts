import { COMMAND_GROUPS } from './commands';
import { run } from './main';
import type { Io } from './registry';

// A typo must never run a command with defaults: every command line that is not exactly right
// exits 2 with the command's help, and sends nothing to the api.

function capture(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => (out += t), stderr: (t) => (err += t), stdin: async () => '', interactive: false },
    out: () => out,
    err: () => err,
  };
}

const commands = COMMAND_GROUPS.flatMap((group) => group.commands.map((command) => ({ group, command })));
/** Enough positionals for each command, so only the flag under test is wrong. */
const argsOf = (positionals: readonly string[] | undefined) => (positionals ?? []).map((p) => `${p}-value`);

describe('cmk usage errors', () => {
  let fetchSpy: jest.SpyInstance;
  const env = { ...process.env };

  beforeEach(() => {
    process.env['CMK_OPERATOR_TOKEN'] = 'operator-token-for-the-usage-spec';
    process.env['CMK_TOKEN'] = 'cmk.acme.user-token';
    process.env['CMK_ORG'] = 'acme';
    process.env['CMK_API_URL'] = 'http://127.0.0.1:9';
    fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => Response.json({ tokenId: 't1', token: 'cmk.acme.new' }, { status: 201 }));
  });
  afterEach(() => {
    fetchSpy.mockRestore();
    process.env = { ...env };
  });

  it('issues nothing for `token issue demo bob --rol member` (a typo): exit 2 with the command help', async () => {
    const { io, err, out } = capture();
    expect(await run(['token', 'issue', 'demo', 'bob', '--rol', 'member'], io)).toBe(2);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(out()).toBe('');
    expect(err()).toContain("Unknown option '--rol'");
    expect(err()).toContain('usage: cmk token issue <org> <user> [options]');
    expect(err()).toContain('--role admin|member|auditor');
  });

  it('does issue with the right flag (the spy above really sees requests)', async () => {
    const { io, out } = capture();
    expect(await run(['token', 'issue', 'demo', 'bob', '--role', 'member'], io)).toBe(0);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    const request = fetchSpy.mock.calls[0]![0] as Request;
    expect(new URL(request.url).pathname).toBe('/api/admin/orgs/demo/tokens');
    expect(await request.json()).toEqual({ user: 'bob', role: 'member' });
    expect(JSON.parse(out())).toMatchObject({ tokenId: 't1' });
  });

  it.each([
    ['no --role', ['token', 'issue', 'demo', 'bob'], '--role is required'],
    ['--role without a value', ['token', 'issue', 'demo', 'bob', '--role'], "Option '--role <value>' argument missing"],
    ['--role followed by another flag', ['token', 'issue', 'demo', 'bob', '--role', '--output', 'json'], 'ambiguous'],
    ['an unknown role', ['token', 'issue', 'demo', 'bob', '--role', 'owner'], '--role must be admin, member or auditor'],
    ['an extra argument', ['token', 'issue', 'demo', 'bob', 'member', '--role', 'member'], 'unexpected argument "member"'],
    ['a missing argument', ['token', 'issue', 'demo', '--role', 'member'], 'missing <user>'],
  ])('token issue with %s: exit 2, nothing sent', async (_name, argv, message) => {
    const { io, err } = capture();
    expect(await run(argv, io)).toBe(2);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(err()).toContain(message);
    expect(err()).toContain('usage: cmk token issue');
  });

  it.each(commands.map(({ group, command }) => [`${group.name} ${command.name}`, group.name, command] as const))(
    '%s refuses an unknown flag, an extra argument and a flag without its value (exit 2, its help, nothing sent)',
    async (_name, groupName, command) => {
      const base = [groupName, command.name, ...argsOf(command.positionals)];
      const cases: string[][] = [
        [...base, '--no-such-flag'],
        [...base, '--no-such-flag=1'],
        [...base, 'extra-argument'],
        [...base, '--api-url'],
        ...Object.entries(command.options ?? {})
          .filter(([, spec]) => spec.type === 'string')
          .map(([name]) => [...base, `--${name}`]),
      ];
      for (const argv of cases) {
        const { io, err } = capture();
        expect({ argv, code: await run(argv, io) }).toEqual({ argv, code: 2 });
        expect(err()).toContain(`usage: cmk ${groupName} ${command.name}`);
      }
      expect(fetchSpy).not.toHaveBeenCalled();
    },
  );

  it('refuses extra arguments after the overall and group help', async () => {
    for (const argv of [['--help', 'token'], ['token', '--help', 'issue']]) {
      const { io, out } = capture();
      expect(await run(argv, io)).toBe(2);
      expect(out()).toBe('');
    }
    const { io, out } = capture();
    expect(await run(['token', '--help'], io)).toBe(0);
    expect(out()).toContain('usage: cmk token <command>');
  });
});
