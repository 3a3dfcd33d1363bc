/**
 * Colours of the TUI. With NO_COLOR set (https://no-color.org) every colour is dropped; the
 * selection then shows by inverse video and a `>` marker, which carry no colour.
 */
import { createContext, useContext } from 'react';
import type { Mechanism } from '../../correlate/model.js';

export interface Theme {
  accent: string | undefined;
  dim: boolean;
  good: string | undefined;
  warn: string | undefined;
  bad: string | undefined;
  mechanism: (m: Mechanism | 'unpaired') => string | undefined;
}

const MECH_COLOURS: Record<string, string> = {
  'userland-proxy': 'magenta',
  dnat: 'cyan',
  snat: 'blue',
  'dnat+snat': 'cyan',
  bridge: 'green',
  none: 'gray',
  unpaired: 'gray',
};

export function makeTheme(noColor: boolean): Theme {
  if (noColor) {
    return { accent: undefined, dim: false, good: undefined, warn: undefined, bad: undefined, mechanism: () => undefined };
  }
  return { accent: 'cyan', dim: true, good: 'green', warn: 'yellow', bad: 'red', mechanism: (m) => MECH_COLOURS[m] };
}


export const ThemeContext = createContext<Theme>(makeTheme(false));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
