import { CaptureError } from '../read/capture-error.js';

/** Prints one line on stderr, `natflow: ...`; a stack trace only with NATFLOW_DEBUG=1. */
export function reportError(err: unknown): void {
  const debug = process.env.NATFLOW_DEBUG === '1';
  let text: string;
  if (err instanceof CaptureError) text = err.message;
  else if (err instanceof Error) text = err.message;
  else text = String(err);
  process.stderr.write(`natflow: ${oneLine(text)}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}
