/**
 * Text that came out of a capture (interface names, comments, payload, warnings quoting it) can
 * carry terminal escape sequences. Strips ESC sequences (CSI, OSC, two-byte), every other C0/C1
 * control and DEL; keeps printable Unicode, including non-ASCII letters.
 */
// CSI: ESC [ params final; OSC/DCS/PM/APC/SOS: ESC ] ... (BEL | ESC \); other: ESC + one byte.
// The 8-bit forms (0x9b CSI, 0x9d OSC, ...) are C1 controls and go with the rest.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]?|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\s\S]?/g;
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;

export function sanitizeText(s: string): string {
  // Fast path: the vast majority of strings are clean.
  if (!/[\x00-\x1f\x7f-\x9f]/.test(s)) return s;
  return s.replace(ESCAPES, '').replace(CONTROLS, '');
}
