import { keysReencryption, keysRetry } from '@cmk/api-client';
import { createParser } from 'eventsource-parser';
import { orgOf, userToken, type ApiClient } from '../api-client';
import { CommandFailed, EXIT_FAILED, EXIT_OK } from '../errors';
import { render } from '../output';
import { outcomeLine, progressLine, type RunBanner } from '../progress';
import type { CommandContext, CommandGroup, OptionSpec } from '../registry';

const ORG: Record<string, OptionSpec> = { org: { type: 'string', description: '--org LOGIN            the organisation (default CMK_ORG)' } };
const ADMIN_NOTE = 'Authenticates with CMK_TOKEN (an org admin token).';
/** A dropped stream (api restart, proxy timeout) is reopened this many times in a row at most. */
const MAX_RECONNECTS = 5;

const orgArg = (context: CommandContext) => orgOf(context.values['org'] as string | undefined, context.usage);
const runPath = (context: CommandContext) =>
  `/api/orgs/${encodeURIComponent(orgOf(context.values['org'] as string | undefined, context.usage))}/customer-managed-keys/reencryption`;

/** Reads one SSE stream to its end, calling `onBanner` for each `reencryption` event; returns the last. */
async function followStream(api: ApiClient, path: string, onBanner: (banner: RunBanner) => void): Promise<RunBanner | undefined> {
  const response = await api.stream(`${path}/events`);
  let last: RunBanner | undefined;
  const parser = createParser({
    onEvent(event) {
      if (event.event !== 'reencryption') return;
      last = JSON.parse(event.data) as RunBanner;
      onBanner(last);
    },
  });
  const decoder = new TextDecoder();
  if (response.body) for await (const chunk of response.body) parser.feed(decoder.decode(chunk, { stream: true }));
  return last;
}

/**
 * `reencryption watch`: a live progress bar (stderr) from the run's event stream until the run
 * finishes, then the final state (stdout) and an exit code that is the run's outcome.
 */
async function watch(context: CommandContext): Promise<number> {
  const api = context.api(userToken);
  const path = runPath(context);
  let banner: RunBanner = await api.call((client) => keysReencryption({ client, path: { org: orgArg(context) } }));
  const { io } = context;
  let lastPrinted = -1;
  const draw = (b: RunBanner) => {
    if (io.interactive) return io.stderr(`\r\x1b[2K${progressLine(b)}`);
    // Not a terminal (CI logs): a line per 5% step, not per event.
    const step = b.total > 0 ? Math.floor(((b.done + b.failed) / b.total) * 20) : 0;
    if (step !== lastPrinted || b.state !== 'running') io.stderr(`${progressLine(b)}\n`);
    lastPrinted = step;
  };
  draw(banner);
  for (let reconnects = 0; banner.state === 'running'; reconnects++) {
    if (reconnects > MAX_RECONNECTS) throw new CommandFailed(`the event stream of ${path}/events kept ending before the run finished; the run goes on (check with \`cmk reencryption status\`)`);
    const last = await followStream(api, path, draw).catch((error: unknown) => {
      if (error instanceof CommandFailed) throw error;
      return undefined; // a dropped connection: read the state and reopen
    });
    banner = last && last.state !== 'running' ? last : await api.call((client) => keysReencryption({ client, path: { org: orgArg(context) } }));
    if (last) reconnects = 0;
  }
  if (io.interactive) io.stderr('\n');
  io.stderr(`${outcomeLine(banner)}\n`);
  io.stdout(`${render({ json: banner }, context.output)}\n`);
  return banner.state === 'completed' ? EXIT_OK : EXIT_FAILED;
}

/** `cmk reencryption …`: the org's re-encryption run (admin token). */
export const reencryptionCommands: CommandGroup = {
  name: 'reencryption',
  summary: "an org's re-encryption run: status, retry, live watch (CMK_TOKEN)",
  commands: [
    {
      name: 'status',
      summary: 'the last run: state, counts, failures by code, ETA',
      options: ORG,
      notes: ADMIN_NOTE,
      async run(context) {
        return { json: await context.api(userToken).call((client) => keysReencryption({ client, path: { org: orgArg(context) } })) };
      },
    },
    {
      name: 'retry',
      summary: 'retry the last failed run (after fixing the IAM role or key policy)',
      options: ORG,
      notes: ADMIN_NOTE,
      async run(context) {
        return { json: await context.api(userToken).call((client) => keysRetry({ client, path: { org: orgArg(context) } })) };
      },
    },
    {
      name: 'watch',
      summary: 'follow the current run with a progress bar and ETA; exits 0 when it completes, 1 when it fails',
      options: ORG,
      notes: `${ADMIN_NOTE}\nThe bar goes to stderr (redrawn on a terminal, a line per 5% otherwise); the final state to stdout.`,
      run: watch,
    },
  ],
};
