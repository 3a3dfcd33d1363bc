import { describe, expect, it } from 'vitest';
import { initialUiState, uiReducer, windowTop, type UiAction, type UiState } from '../../src/present/tui/ui-state.js';
import { appReducer, keyToAction, type KeyContext } from '../../src/present/tui/key-bindings.js';
import type { Key } from 'ink';

const N = 100_000;
const H = 20;

function run(s: UiState, ...actions: UiAction[]): UiState {
  return actions.reduce(uiReducer, s);
}

const noKey: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false,
  home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false,
  backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false,
} as Key;

const ctx: KeyContext = { count: N, listHeight: H, idAt: (i) => (i >= 0 && i < N ? `c${i + 7}` : null), legs: 2, scrollMax: 50, paneHeight: 10 };

describe('UI reducer on a 100,000-row list', () => {
  it('keeps the cursor on screen while moving, paging and jumping', () => {
    let s = run(initialUiState, { type: 'move', delta: 1, count: N, height: H });
    expect(s.cursor).toBe(1);
    expect(s.top).toBe(0);
    s = run(s, { type: 'move', delta: H, count: N, height: H });
    expect(s.cursor).toBe(21);
    expect(s.top).toBe(2); // cursor on the last visible row
    s = run(s, { type: 'jump', to: 'last', count: N, height: H });
    expect(s.cursor).toBe(N - 1);
    expect(s.top).toBe(N - H);
    s = run(s, { type: 'move', delta: 5, count: N, height: H });
    expect(s.cursor).toBe(N - 1);
    s = run(s, { type: 'jump', to: 'first', count: N, height: H });
    expect([s.cursor, s.top]).toEqual([0, 0]);
  });

  it('handles 100,000 single-row moves quickly', () => {
    const t0 = performance.now();
    let s = initialUiState;
    for (let i = 0; i < N; i++) s = uiReducer(s, { type: 'move', delta: 1, count: N, height: H });
    expect(s.cursor).toBe(N - 1);
    expect(s.top).toBe(N - H);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('clamps the cursor when the list shrinks (filter applied, terminal resized)', () => {
    let s = run(initialUiState, { type: 'jump', to: 'last', count: N, height: H });
    s = run(s, { type: 'clamp', count: 3, height: H });
    expect([s.cursor, s.top]).toEqual([2, 0]);
    s = run(s, { type: 'clamp', count: 0, height: H });
    expect(s.cursor).toBe(0);
  });

  it('windowTop moves the window as little as possible', () => {
    expect(windowTop(5, 0, 10, 100)).toBe(0);
    expect(windowTop(10, 0, 10, 100)).toBe(1);
    expect(windowTop(3, 8, 10, 100)).toBe(3);
    expect(windowTop(99, 95, 10, 100)).toBe(90);
  });

  it('opens an item, cycles panes both ways, and Esc goes back, then clears the filter', () => {
    let s = run(initialUiState, { type: 'open', id: 'c1' });
    expect([s.view, s.pane, s.openId]).toEqual(['item', 'detail', 'c1']);
    s = run(s, { type: 'pane', step: 1 });
    expect(s.pane).toBe('ladder');
    s = run(s, { type: 'pane', step: 1 }, { type: 'pane', step: 1 });
    expect(s.pane).toBe('detail');
    s = run(s, { type: 'pane', step: -1 });
    expect(s.pane).toBe('packets');
    s = run(s, { type: 'back' });
    expect(s.view).toBe('list');
    s = run(s, { type: 'filter-start' }, { type: 'filter-type', text: 'docker0' }, { type: 'filter-commit' });
    expect(s.filter).toBe('docker0');
    s = run(s, { type: 'back' });
    expect(s.filter).toBe('');
  });

  it('filter typing: erase, cancel keeps the old filter, commit resets the cursor', () => {
    let s = run(initialUiState, { type: 'move', delta: 40, count: N, height: H }, { type: 'filter-start' });
    s = run(s, { type: 'filter-type', text: '500' }, { type: 'filter-type', text: '1' }, { type: 'filter-erase' });
    expect(s.filterDraft).toBe('500');
    expect(run(s, { type: 'filter-cancel' }).filter).toBe('');
    s = run(s, { type: 'filter-commit' });
    expect([s.filter, s.filterDraft, s.cursor, s.top]).toEqual(['500', null, 0, 0]);
  });

  it('s cycles every sort key and comes back', () => {
    const seen: string[] = [];
    let s = initialUiState;
    for (let i = 0; i < 4; i++) {
      seen.push(s.sort);
      s = uiReducer(s, { type: 'sort-next' });
    }
    expect(seen).toEqual(['time', 'packets', 'confidence', 'mechanism']);
    expect(s.sort).toBe('time');
  });

  it('scroll and leg selection stay in range', () => {
    let s = run(initialUiState, { type: 'open', id: 'c1' }, { type: 'scroll', delta: 1000, max: 30 });
    expect(s.scroll).toBe(30);
    s = run(s, { type: 'scroll', delta: -Infinity, max: 30 });
    expect(s.scroll).toBe(0);
    s = run(s, { type: 'leg', delta: 5, legs: 2 });
    expect(s.leg).toBe(1);
    s = run(s, { type: 'leg', delta: -5, legs: 2 });
    expect(s.leg).toBe(0);
  });
});

describe('key bindings', () => {
  const key = (k: Partial<Key>): Key => ({ ...noKey, ...k });
  it('maps list keys: j k arrows, Enter opens the row under the cursor, / s ? q', () => {
    const s = initialUiState;
    expect(keyToAction('j', noKey, s, ctx)).toMatchObject({ type: 'move', delta: 1 });
    expect(keyToAction('', key({ downArrow: true }), s, ctx)).toMatchObject({ type: 'move', delta: 1 });
    expect(keyToAction('k', noKey, s, ctx)).toMatchObject({ type: 'move', delta: -1 });
    expect(keyToAction('', key({ upArrow: true }), s, ctx)).toMatchObject({ type: 'move', delta: -1 });
    expect(keyToAction('', key({ pageDown: true }), s, ctx)).toMatchObject({ type: 'move', delta: H });
    expect(keyToAction('', key({ return: true }), s, ctx)).toEqual({ type: 'open', id: 'c7' });
    expect(keyToAction('', key({ return: true }), s, { ...ctx, idAt: () => null })).toBeNull();
    expect(keyToAction('/', noKey, s, ctx)).toEqual({ type: 'filter-start' });
    expect(keyToAction('s', noKey, s, ctx)).toEqual({ type: 'sort-next' });
    expect(keyToAction('?', noKey, s, ctx)).toEqual({ type: 'help' });
    expect(keyToAction('q', noKey, s, ctx)).toEqual({ type: 'quit' });
    expect(keyToAction('c', key({ ctrl: true }), s, ctx)).toEqual({ type: 'quit' });
  });

  it('resolves keys against the latest state: Enter right after j opens the second row', () => {
    let s = appReducer(initialUiState, { type: 'key', input: 'j', key: noKey, ctx });
    s = appReducer(s, { type: 'key', input: '', key: key({ return: true }), ctx });
    expect([s.view, s.openId]).toEqual(['item', 'c8']);
    s = appReducer(s, { type: 'key', input: '', key: key({ tab: true }), ctx });
    expect(s.pane).toBe('ladder');
  });

  it('in the item view: Tab / Shift-Tab panes, arrows scroll and pick the leg, Esc and Backspace go back', () => {
    const s = run(initialUiState, { type: 'open', id: 'c7' });
    expect(keyToAction('', key({ tab: true }), s, ctx)).toEqual({ type: 'pane', step: 1 });
    expect(keyToAction('', key({ tab: true, shift: true }), s, ctx)).toEqual({ type: 'pane', step: -1 });
    expect(keyToAction('j', noKey, s, ctx)).toMatchObject({ type: 'scroll', delta: 1 });
    expect(keyToAction('', key({ rightArrow: true }), s, ctx)).toMatchObject({ type: 'leg', delta: 1 });
    expect(keyToAction('', key({ escape: true }), s, ctx)).toEqual({ type: 'back' });
    expect(keyToAction('', key({ backspace: true }), s, ctx)).toEqual({ type: 'back' });
    expect(keyToAction('', key({ delete: true }), s, ctx)).toEqual({ type: 'back' });
  });

  it('while typing a filter, letters (even q and s) are text and control characters are dropped', () => {
    const s = run(initialUiState, { type: 'filter-start' });
    expect(keyToAction('q', noKey, s, ctx)).toEqual({ type: 'filter-type', text: 'q' });
    expect(keyToAction('s', noKey, s, ctx)).toEqual({ type: 'filter-type', text: 's' });
    expect(keyToAction('a\x1b[31mb', noKey, s, ctx)).toEqual({ type: 'filter-type', text: 'a[31mb' });
    expect(keyToAction('', key({ backspace: true }), s, ctx)).toEqual({ type: 'filter-erase' });
    expect(keyToAction('', key({ return: true }), s, ctx)).toEqual({ type: 'filter-commit' });
    expect(keyToAction('', key({ escape: true }), s, ctx)).toEqual({ type: 'filter-cancel' });
    expect(keyToAction('c', key({ ctrl: true }), s, ctx)).toEqual({ type: 'quit' });
  });
});
