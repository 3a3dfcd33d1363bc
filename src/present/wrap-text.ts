/**
 * Word-wraps plain text to `width` columns: the first line starts with `first` (e.g. "  3. "),
 * continuation lines with `rest` (spaces of the same width by default). Words are separated by
 * runs of whitespace (what a RegExp `\s` matches); words longer than a line are cut. Width is
 * counted in UTF-16 units, which is right for the ASCII and the few arrows natflow prints.
 *
 * It runs for every line `analyze` prints (a million on 20,000 conversations): text with single
 * spaces between words (nearly all of it) is cut a line at a time with indexOf / lastIndexOf,
 * anything else is scanned once by index, never split by a RegExp into an array of words.
 */
export function wrapText(text: string, width: number, first = '', rest = ' '.repeat(first.length)): string[] {
  if (singleSpaced(text)) {
    if (first.length + text.length <= width) return [first + text];
    // The prefixes are indentation (no newline), and single-spaced text has none either.
    const block = singleSpacedBlock(text, width, first, rest);
    if (block !== null) return block.slice(0, -1).split('\n');
  }
  return wrapWords(text, width, first, rest);
}

/**
 * The same lines, each ended by a newline, as one string: what the text presenter appends to its
 * output. Single-spaced text is cut straight into the string, without an array per paragraph.
 * `knownSingleSpaced`: the caller already tested the text (see singleSpaced) and saves a scan.
 */
export function wrapTextBlock(text: string, width: number, first = '', rest = ' '.repeat(first.length), knownSingleSpaced = false): string {
  if (knownSingleSpaced || singleSpaced(text)) {
    if (first.length + text.length <= width) return `${first}${text}\n`;
    const block = singleSpacedBlock(text, width, first, rest);
    if (block !== null) return block;
  }
  return `${wrapWords(text, width, first, rest).join('\n')}\n`;
}

/**
 * The usual case, a line at a time, each ended by a newline: each line ends at the last space
 * that still fits, found by lastIndexOf, which is where the word-by-word loop would break it too.
 * Null when a line's first word does not fit whole (it would be cut): wrapWords does that.
 */
function singleSpacedBlock(text: string, width: number, first: string, rest: string): string | null {
  let out = '';
  const n = text.length;
  let pos = 0;
  let prefix = first;
  for (;;) {
    const room = width - prefix.length;
    let wordEnd = text.indexOf(' ', pos);
    if (wordEnd < 0) wordEnd = n;
    if (wordEnd - pos > room) return null;
    const limit = pos + room;
    if (limit >= n) return `${out}${prefix}${text.slice(pos)}\n`;
    // A space at `limit` itself ends a word that fits exactly.
    const end = text.lastIndexOf(' ', limit);
    out += `${prefix}${text.slice(pos, end)}\n`;
    pos = end + 1;
    prefix = rest;
  }
}

function wrapWords(text: string, width: number, first: string, rest: string): string[] {
  const out: string[] = [];
  let line = first;
  let lineHasWord = false;
  const n = text.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    let j = i + 1;
    while (j < n && !isSpace(text.charCodeAt(j))) j++;
    let w = text.slice(i, j);
    i = j;
    if (lineHasWord && line.length + 1 + w.length > width) {
      out.push(line);
      line = rest;
      lineHasWord = false;
    }
    while (!lineHasWord && w.length > Math.max(10, width - line.length)) {
      const cut = Math.max(10, width - line.length);
      out.push(line + w.slice(0, cut));
      w = w.slice(cut);
      line = rest;
    }
    if (!w) continue;
    line += (lineHasWord ? ' ' : '') + w;
    lineHasWord = true;
  }
  if (lineHasWord || out.length === 0) out.push(line);
  return out;
}

/** What a RegExp `\s` matches: ASCII and Unicode white space, line terminators, BOM. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

// Two spaces in a row, or white space other than a plain space (RegExp \s and isSpace agree).
const NOT_SINGLE_SPACED = /  |[^\S ]/;

/** Words separated by single plain spaces, none at either end: wrapping would not change it. */
function singleSpaced(text: string): boolean {
  // One RegExp scan: a million paragraphs through a charCodeAt loop cost more.
  const last = text.length - 1;
  return last < 0 || (text.charCodeAt(0) !== 32 && text.charCodeAt(last) !== 32 && !NOT_SINGLE_SPACED.test(text));
}
