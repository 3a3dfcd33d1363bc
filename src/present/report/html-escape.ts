/**
 * Escaping for the HTML report. Everything that came from a capture (addresses, HTTP lines,
 * interface names, file names, rule text) goes through `escapeHtml` before it touches markup,
 * in text and in attribute values alike (both quote kinds are escaped, so any attribute is safe
 * when its value is quoted). Control characters other than line feeds are stripped first, as for
 * the terminal.
 */
import { sanitizeText } from '../sanitize.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  // Line breaks are harmless in HTML and make SVG tooltips readable; every other control goes.
  const clean = s.includes('\n') ? s.split('\n').map(sanitizeText).join('\n') : sanitizeText(s);
  return clean.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

/** Cuts to `max` characters (with an ellipsis) before escaping, so entities are never split. */
export function escapeCut(s: string, max: number): string {
  const clean = sanitizeText(s);
  return escapeHtml(clean.length > max ? `${clean.slice(0, Math.max(1, max - 1))}…` : clean);
}
