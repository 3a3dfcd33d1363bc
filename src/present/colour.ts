/**
 * ANSI styling for terminal output. The caller decides whether colour is on (a TTY and no
 * NO_COLOR); with it off every function returns the text unchanged.
 */
export interface Palette {
  bold(s: string): string;
  dim(s: string): string;
  mechanism(m: string, s?: string): string;
  warn(s: string): string;
}

const wrap = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const MECH_CODE: Record<string, string> = {
  'userland-proxy': '35', dnat: '36', snat: '33', 'dnat+snat': '34', bridge: '32', none: '90',
};

export function palette(color: boolean): Palette {
  if (!color) {
    const id = (s: string) => s;
    return { bold: id, dim: id, warn: id, mechanism: (m, s) => s ?? m };
  }
  return {
    bold: wrap('1'),
    dim: wrap('2'),
    warn: wrap('31'),
    mechanism: (m, s) => wrap(MECH_CODE[m] ?? '0')(s ?? m),
  };
}

/** NO_COLOR counts when present and not empty, as the convention says. */
export function noColorRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}
