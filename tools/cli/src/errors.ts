/** Exit codes every `cmk` command keeps: scripts branch on them. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The command line itself is wrong (unknown command or flag, missing argument): exit 2 with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The usage text of the command (or group) that was being parsed. */
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** The command ran and failed (the api refused, the network failed, a run failed): exit 1. */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';
}
