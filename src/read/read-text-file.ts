import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { fsErrorText } from './fs-error-text.js';

const CHUNK = 1 << 20;

/** Why a text file could not be read; `reason` is the words after the label and the verb, for callers with their own wording. */
export class ReadTextError extends Error {
  constructor(label: string, verb: string | null, readonly reason: string) {
    super(`${label}: ${verb === null ? '' : `${verb}: `}${reason}`);
  }
}

/** The first `bytes` of a regular file as text; empty when it is no regular file or cannot be read. */
export function readTextHead(path: string, bytes: number): string {
  let fd: number | null = null;
  try {
    if (!statSync(path).isFile()) return '';
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(bytes);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, bytes, 0));
  } catch {
    return '';
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * A whole text file read once, to at most `maxBytes`: side inputs come as files and as
 * `<(iptables-save)` pipes, which a second read finds empty, and a path like /dev/zero never
 * ends. Throws a ReadTextError whose message names `label` (e.g. `--rules FILE`), one line.
 */
export function readTextFile(path: string, label: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ReadTextError(label, 'cannot open', fsErrorText(e));
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (fstatSync(fd).isDirectory()) throw new ReadTextError(label, null, 'is a directory');
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        // Standard input can be non-blocking (`--rules /dev/stdin` from some shells): wait for it.
        if ((e as { code?: unknown }).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        throw new ReadTextError(label, 'cannot read', `${fsErrorText(e)} at byte ${total}`);
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new ReadTextError(label, null, `more than ${maxBytes} bytes, reading stopped at byte ${maxBytes}`);
      chunks.push(n === CHUNK ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
