/** Fixed-width cells for the list and tables: one terminal column per character (ASCII data). */

/** `text` cut to at most `width` characters, an ellipsis marking the cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}

export function fit(text: string, width: number): string {
  return width <= 0 ? '' : truncate(text, width).padEnd(width);
}

export function fitRight(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text.padStart(width);
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
