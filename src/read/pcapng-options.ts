import { u16 } from './reader-context.js';

/**
 * Walks the options of a pcapng block held in b[start, end). Calls `visit` for each option
 * before opt_endofopt. Returns null, or the problem and its buffer position when an option's
 * length runs past the block (the caller turns that into a CaptureError).
 */
export function walkOptions(
  b: Uint8Array,
  start: number,
  end: number,
  le: boolean,
  visit: (code: number, valueStart: number, valueLen: number) => void,
): { pos: number; reason: string } | null {
  let p = start;
  // Fewer than 4 bytes left cannot hold an option header; writers pad, readers ignore it.
  while (end - p >= 4) {
    const code = u16(b, p, le);
    const len = u16(b, p + 2, le);
    if (code === 0) return null;
    const padded = (len + 3) & ~3;
    if (padded > end - p - 4) {
      return { pos: p, reason: `option ${code} of length ${len} runs past the end of its block (${end - p - 4} bytes left)` };
    }
    visit(code, p + 4, len);
    p += 4 + padded;
  }
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function optionString(b: Uint8Array, start: number, len: number): string {
  // Some writers include the C string terminator in the length.
  let n = len;
  while (n > 0 && b[start + n - 1] === 0) n--;
  return utf8.decode(b.subarray(start, start + n));
}
