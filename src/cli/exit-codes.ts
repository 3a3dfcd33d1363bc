/** natflow's exit codes: a stable interface for CI pipelines. */
export const EXIT_OK = 0;
/** An expectation (`natflow check`) did not hold. */
export const EXIT_CHECK_FAILED = 1;
/** Bad input: unreadable or corrupt capture, invalid arguments or expectations file. */
export const EXIT_BAD_INPUT = 2;

/**
 * Interrupted (128 + SIGINT, as a shell reports it): Ctrl-C ended the reading; what was read
 * before it was still analyzed and written.
 */
export const EXIT_INTERRUPTED = 130;

/** Sets the process exit code a command wants, without exiting (output must flush first). */
export type SetExitCode = (code: number) => void;
