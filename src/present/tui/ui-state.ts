/**
 * Navigation, filter and sort state of the TUI, as a pure reducer: no data, no I/O. Actions that
 * depend on the data carry what they need (row count, visible height), so the reducer can be
 * driven in tests with a synthetic 100,000-row list.
 */
import { SORT_KEYS, type SortKey } from './list-rows.js';

export const PANES = ['detail', 'ladder', 'packets'] as const;
export type Pane = (typeof PANES)[number];

export interface UiState {
  /** The list of correlations, or one opened item (correlation or unpaired flow). */
  view: 'list' | 'item';
  pane: Pane;
  /** Selected position in the visible (filtered, sorted) list, and the first row on screen. */
  cursor: number;
  top: number;
  /** Id of the opened row (correlation or flow). */
  openId: string | null;
  /** Leg of the opened item whose packets the packet pane shows. */
  leg: number;
  /** Scroll offset of the current pane in the item view. */
  scroll: number;
  filter: string;
  /** Non-null while the user types a filter after `/`. */
  filterDraft: string | null;
  sort: SortKey;
  /** Show link-local control traffic (neighbor discovery, MLD, IGMP), hidden by default. */
  showNoise: boolean;
  help: boolean;
  quit: boolean;
}

export type UiAction =
  /** Move the list cursor; `to` jumps to an absolute position (Home/End). */
  | { type: 'move'; delta: number; count: number; height: number }
  | { type: 'jump'; to: 'first' | 'last'; count: number; height: number }
  | { type: 'open'; id: string }
  | { type: 'back' }
  | { type: 'pane'; step: 1 | -1 }
  | { type: 'show-pane'; pane: Pane }
  | { type: 'leg'; delta: number; legs: number }
  | { type: 'scroll'; delta: number; max: number }
  | { type: 'filter-start' }
  | { type: 'filter-type'; text: string }
  | { type: 'filter-erase' }
  | { type: 'filter-commit' }
  | { type: 'filter-cancel' }
  | { type: 'filter-clear' }
  | { type: 'sort-next' }
  | { type: 'toggle-noise' }
  | { type: 'help' }
  | { type: 'quit' }
  /** The visible list changed size (data arrived, filter applied): keep the cursor inside it. */
  | { type: 'clamp'; count: number; height: number };

export const initialUiState: UiState = {
  view: 'list',
  pane: 'detail',
  cursor: 0,
  top: 0,
  openId: null,
  leg: 0,
  scroll: 0,
  filter: '',
  filterDraft: null,
  sort: 'time',
  showNoise: false,
  help: false,
  quit: false,
};

function clamp(n: number, lo: number, hi: number): number {
  return n < lo ? lo : n > hi ? hi : n;
}

/** First visible row so that `cursor` stays on screen, moving the window as little as possible. */
export function windowTop(cursor: number, top: number, height: number, count: number): number {
  const h = Math.max(1, height);
  let t = top;
  if (cursor < t) t = cursor;
  if (cursor >= t + h) t = cursor - h + 1;
  return clamp(t, 0, Math.max(0, count - h));
}

function withCursor(s: UiState, cursor: number, count: number, height: number): UiState {
  const c = count === 0 ? 0 : clamp(cursor, 0, count - 1);
  const top = windowTop(c, s.top, height, count);
  return c === s.cursor && top === s.top ? s : { ...s, cursor: c, top };
}

export function uiReducer(s: UiState, a: UiAction): UiState {
  switch (a.type) {
    case 'move':
      return withCursor(s, s.cursor + a.delta, a.count, a.height);
    case 'jump':
      return withCursor(s, a.to === 'first' ? 0 : a.count - 1, a.count, a.height);
    case 'clamp':
      return withCursor(s, s.cursor, a.count, a.height);
    case 'open':
      return { ...s, view: 'item', openId: a.id, pane: 'detail', leg: 0, scroll: 0, help: false };
    case 'back':
      if (s.help) return { ...s, help: false };
      if (s.view === 'item') return { ...s, view: 'list', scroll: 0 };
      if (s.filter !== '') return { ...s, filter: '', cursor: 0, top: 0 };
      return s;
    case 'pane': {
      if (s.view !== 'item') return s;
      const i = PANES.indexOf(s.pane);
      return { ...s, pane: PANES[(i + a.step + PANES.length) % PANES.length], scroll: 0 };
    }
    case 'show-pane':
      return s.view === 'item' ? { ...s, pane: a.pane, scroll: 0 } : s;
    case 'leg': {
      const leg = clamp(s.leg + a.delta, 0, Math.max(0, a.legs - 1));
      return leg === s.leg ? s : { ...s, leg, scroll: s.pane === 'packets' ? 0 : s.scroll };
    }
    case 'scroll': {
      const scroll = clamp(s.scroll + a.delta, 0, Math.max(0, a.max));
      return scroll === s.scroll ? s : { ...s, scroll };
    }
    case 'filter-start':
      return { ...s, filterDraft: s.filter, help: false };
    case 'filter-type':
      return s.filterDraft === null ? s : { ...s, filterDraft: s.filterDraft + a.text };
    case 'filter-erase':
      return s.filterDraft === null ? s : { ...s, filterDraft: s.filterDraft.slice(0, -1) };
    case 'filter-commit':
      if (s.filterDraft === null) return s;
      return { ...s, filter: s.filterDraft.trim(), filterDraft: null, cursor: 0, top: 0, view: 'list' };
    case 'filter-cancel':
      return { ...s, filterDraft: null };
    case 'filter-clear':
      return { ...s, filter: '', filterDraft: null, cursor: 0, top: 0 };
    case 'toggle-noise':
      return { ...s, showNoise: !s.showNoise, cursor: 0, top: 0 };
    case 'sort-next': {
      const i = SORT_KEYS.indexOf(s.sort);
      return { ...s, sort: SORT_KEYS[(i + 1) % SORT_KEYS.length], cursor: 0, top: 0 };
    }
    case 'help':
      return { ...s, help: !s.help };
    case 'quit':
      return { ...s, quit: true };
  }
}
