/**
 * Keyboard → UiAction, as a pure function of the key and the state, plus the table the `?`
 * overlay prints: both live here so the help always lists what the keys really do.
 */
import type { Key } from 'ink';
import { uiReducer, type UiAction, type UiState } from './ui-state.js';

/** What the key handler needs to know about the data on screen. */
export interface KeyContext {
  /** Rows in the visible (filtered) list. */
  count: number;
  /** Rows of the list that fit on screen. */
  listHeight: number;
  /** Id of the row at a position of the visible list, null when there is none. */
  idAt: (position: number) => string | null;
  /** Legs of the opened item. */
  legs: number;
  /** Lines the current pane can scroll, and how many fit on screen. */
  scrollMax: number;
  paneHeight: number;
}

export const HELP_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['↑ ↓  j k', 'move in the list / scroll the pane'],
  ['PgUp PgDn  Home End', 'page / jump to first or last'],
  ['Enter', 'open the selected correlation or flow; while loading, stop reading and analyze what was read'],
  ['Tab  Shift-Tab', 'next / previous pane: detail, ladder, packets'],
  ['d  l  p', 'show detail / ladder / packets pane'],
  ['← →  h', 'previous / next leg (whose packets are listed)'],
  ['Esc  Backspace', 'back to the list (clears the filter in the list)'],
  ['/', 'filter: address, port, interface, mechanism, HTTP path (Enter applies, Esc cancels)'],
  ['s', 'cycle the sort key: time, packets, confidence, mechanism'],
  ['n', 'show / hide link-local control traffic (neighbor discovery, MLD, IGMP): hidden at start'],
  ['?', 'this help'],
  ['q  Ctrl-C', 'quit'],
];

export function keyToAction(input: string, key: Key, s: UiState, ctx: KeyContext): UiAction | null {
  if (key.ctrl && input === 'c') return { type: 'quit' };
  if (s.filterDraft !== null) {
    if (key.return) return { type: 'filter-commit' };
    if (key.escape) return { type: 'filter-cancel' };
    if (key.backspace || key.delete) return { type: 'filter-erase' };
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return null;
    // Control characters are no part of a filter: keep printable characters only.
    const text = input.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
    return text === '' ? null : { type: 'filter-type', text };
  }
  if (s.help) {
    if (input === 'q') return { type: 'quit' };
    if (key.escape || key.backspace || key.delete || input === '?' || key.return) return { type: 'help' };
    return null;
  }
  if (input === 'q') return { type: 'quit' };
  if (input === '?') return { type: 'help' };
  if (input === '/') return { type: 'filter-start' };
  if (input === 's') return { type: 'sort-next' };
  if (input === 'n' && s.view === 'list') return { type: 'toggle-noise' };
  if (key.escape || key.backspace || key.delete) return { type: 'back' };
  if (s.view === 'list') {
    const h = ctx.listHeight;
    if (key.upArrow || input === 'k') return { type: 'move', delta: -1, count: ctx.count, height: h };
    if (key.downArrow || input === 'j') return { type: 'move', delta: 1, count: ctx.count, height: h };
    if (key.pageUp) return { type: 'move', delta: -h, count: ctx.count, height: h };
    if (key.pageDown || input === ' ') return { type: 'move', delta: h, count: ctx.count, height: h };
    if (key.home || input === 'g') return { type: 'jump', to: 'first', count: ctx.count, height: h };
    if (key.end || input === 'G') return { type: 'jump', to: 'last', count: ctx.count, height: h };
    if (key.return) {
      const id = ctx.idAt(s.cursor);
      return id === null ? null : { type: 'open', id };
    }
    return null;
  }
  const ph = Math.max(1, ctx.paneHeight);
  if (key.tab) return { type: 'pane', step: key.shift ? -1 : 1 };
  if (input === 'd') return { type: 'show-pane', pane: 'detail' };
  if (input === 'l') return { type: 'show-pane', pane: 'ladder' };
  if (input === 'p') return { type: 'show-pane', pane: 'packets' };
  if (key.leftArrow || input === 'h') return { type: 'leg', delta: -1, legs: ctx.legs };
  if (key.rightArrow) return { type: 'leg', delta: 1, legs: ctx.legs };
  if (key.upArrow || input === 'k') return { type: 'scroll', delta: -1, max: ctx.scrollMax };
  if (key.downArrow || input === 'j') return { type: 'scroll', delta: 1, max: ctx.scrollMax };
  if (key.pageUp) return { type: 'scroll', delta: -ph, max: ctx.scrollMax };
  if (key.pageDown || input === ' ') return { type: 'scroll', delta: ph, max: ctx.scrollMax };
  if (key.home || input === 'g') return { type: 'scroll', delta: -Infinity, max: ctx.scrollMax };
  if (key.end || input === 'G') return { type: 'scroll', delta: Infinity, max: ctx.scrollMax };
  return null;
}

/** A key press, resolved against the state it lands on (several keys can arrive between renders). */
export type AppAction = UiAction | { type: 'key'; input: string; key: Key; ctx: KeyContext };

export function appReducer(s: UiState, a: AppAction): UiState {
  if (a.type !== 'key') return uiReducer(s, a);
  const action = keyToAction(a.input, a.key, s, a.ctx);
  return action ? uiReducer(s, action) : s;
}
