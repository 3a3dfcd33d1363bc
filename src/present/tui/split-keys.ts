/**
 * Ink parses one input chunk as one key press, and only splits escape sequences off it: keys
 * typed ahead or sent together (`tmux send-keys jj`, a held-down `j` on a slow terminal, `5000`
 * then Enter pasted in the filter) arrive as one input, `jj`, that matches no binding. This cuts
 * such an input back into the single keys it was made of, so every one of them is acted on.
 */
import type { Key } from 'ink';

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** One character as Ink reports it when it arrives alone (ink/build/parse-keypress.js). */
export function keyOfChar(ch: string): [string, Key] {
  if (ch === '\r') return ['', { ...NO_KEY, return: true }];
  // Ink names '\n' "enter" but sets no flag for it: a line feed is no key of ours either.
  if (ch === '\n') return ['', NO_KEY];
  if (ch === '\t') return ['', { ...NO_KEY, tab: true }];
  if (ch === '\b') return ['', { ...NO_KEY, backspace: true }];
  if (ch === '\x7f') return ['', { ...NO_KEY, delete: true }];
  if (ch >= '\x01' && ch <= '\x1a') return [String.fromCharCode(ch.charCodeAt(0) + 96), { ...NO_KEY, ctrl: true }];
  if (ch >= 'A' && ch <= 'Z') return [ch, { ...NO_KEY, shift: true }];
  return [ch, NO_KEY];
}

/**
 * The key presses one Ink input event stands for: itself when it is one key (a character, an
 * arrow, Ctrl-C…), else one per character. Escape sequences never reach here in a run: Ink's input
 * parser hands each one over as an event of its own.
 */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  const chars = [...input];
  if (chars.length <= 1 || key.meta || key.ctrl) return [[input, key]];
  return chars.map(keyOfChar);
}
