/** One line of a pane, with the style the pane renderer applies (colour is dropped under NO_COLOR). */
export interface StyledLine {
  text: string;
  tone?: 'title' | 'accent' | 'good' | 'warn' | 'bad' | 'dim' | 'mechanism';
}

/** Word-wraps lines longer than `width`, continuing under the line's own indentation. */
export function wrapLines(lines: readonly StyledLine[], width: number): StyledLine[] {
  const w = Math.max(10, width);
  const out: StyledLine[] = [];
  for (const l of lines) {
    if (l.text.length <= w) {
      out.push(l);
      continue;
    }
    const indent = ' '.repeat(Math.min(8, l.text.length - l.text.trimStart().length + 3));
    let rest = l.text;
    let first = true;
    while (rest.length > 0) {
      const room = first ? w : w - indent.length;
      let cut = rest.length <= room ? rest.length : rest.lastIndexOf(' ', room);
      if (cut <= 0) cut = Math.min(room, rest.length);
      out.push({ text: (first ? '' : indent) + rest.slice(0, cut), tone: l.tone });
      rest = rest.slice(cut).trimStart();
      first = false;
    }
  }
  return out;
}
