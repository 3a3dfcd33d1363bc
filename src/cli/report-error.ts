import type { CaptureError } from '../read/capture-error.js';
import { sanitizeText } from '../present/sanitize.js';
import { EXIT_BAD_INPUT, type SetExitCode } from './exit-codes.js';

/**
 * Prints one line on stderr, `natflow: ...`. Messages can quote file names and capture text, so
 * they are kept to one line and stripped of terminal controls.
 */
export function printErrorLine(text: string): void {
  process.stderr.write(`natflow: ${sanitizeText(text.replace(/[\r\n]+/g, ' ').trim())}\n`);
}

/** Prints an error as one line; a stack trace only with NATFLOW_DEBUG=1. */
export function reportError(err: unknown): void {
  printErrorLine(err instanceof Error ? err.message : String(err));
  if (process.env.NATFLOW_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
}

/** A bad argument or side file: one line, exit 2. */
export function reportBadInput(err: unknown, setExitCode: SetExitCode): void {
  reportError(err);
  setExitCode(EXIT_BAD_INPUT);
}

/**
 * The faults met while reading captures (`<file>: <reason> at byte <offset>`), one line each, in
 * argument order; any fault makes the exit code 2, since what was read before it still counted.
 * Returns whether there was one.
 */
export function reportCaptureErrors(errors: readonly CaptureError[], setExitCode: SetExitCode): boolean {
  for (const e of errors) printErrorLine(e.message);
  if (errors.length > 0) setExitCode(EXIT_BAD_INPUT);
  return errors.length > 0;
}

/**
 * Why a file could not be written, in words. Node's message (`ENOENT: no such file or
 * directory, open '…'`) names the system call, and for a file being created ENOENT means its
 * directory is missing.
 */
export function describeWriteError(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case 'ENOENT':
      return 'no such directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
