/**
 * Word-wraps plain text to `width` columns: the first line starts with `first` (e.g. "  3. "),
 * continuation lines with `rest` (spaces of the same width by default). Words longer than a
 * line are cut. Width is counted in UTF-16 units, which is right for the ASCII and the few
 * arrows natflow prints.
 */
export function wrapText(text: string, width: number, first = '', rest = ' '.repeat(first.length)): string[] {
  const out: string[] = [];
  const words = text.split(/\s+/).filter(Boolean);
  let line = first;
  let lineHasWord = false;
  const room = () => Math.max(10, width - line.length);
  for (let w of words) {
    if (lineHasWord && line.length + 1 + w.length > width) {
      out.push(line);
      line = rest;
      lineHasWord = false;
    }
    while (!lineHasWord && w.length > room()) {
      const n = room();
      out.push(line + w.slice(0, n));
      w = w.slice(n);
      line = rest;
    }
    if (!w) continue;
    line += (lineHasWord ? ' ' : '') + w;
    lineHasWord = true;
  }
  if (lineHasWord || out.length === 0) out.push(line);
  return out;
}
