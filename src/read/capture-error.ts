/**
 * The one error type natflow's reader and decoder raise for bad input. Everything the CLI
 * prints for a bad capture goes through this, so the user always sees the file and the byte
 * offset: `natflow: <file>: <reason> at byte <offset>`.
 */
export class CaptureError extends Error {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;

  constructor(file: string, offset: number, reason: string) {
    super(`${file}: ${reason} at byte ${offset}`);
    this.name = 'CaptureError';
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/** A non-fatal oddity in the file (invalid timestamp fraction, unsupported-but-skippable block). */
export interface CaptureWarning {
  offset: number;
  message: string;
}
