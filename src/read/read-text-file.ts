import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fsErrorText } from './fs-error-text.js';

const CHUNK = 1 << 20;

/**
 * A whole text file read once, to at most `maxBytes`: side inputs come as files and as
 * `<(iptables-save)` pipes, which a second read finds empty, and a path like /dev/zero never
 * ends. Throws an Error whose message names `label` (e.g. `--rules FILE`), one line.
 */
export function readTextFile(path: string, label: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`${label}: cannot open: ${fsErrorText(e)}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (fstatSync(fd).isDirectory()) throw new Error(`${label}: is a directory`);
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
        throw new Error(`${label}: cannot read: ${fsErrorText(e)} at byte ${total}`);
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new Error(`${label}: more than ${maxBytes} bytes, reading stopped at byte ${maxBytes}`);
      chunks.push(n === CHUNK ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
