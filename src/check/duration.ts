/** Durations in expectation files: `5ms`, `200us` / `200µs`, `1.5s`, `800ns`. Returns seconds. */
const UNITS: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ns: 1e-9 };

export function parseDuration(text: string): number | string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zµμ]+)\s*$/.exec(text);
  if (!m) return `"${text}" is not a duration (write e.g. 5ms, 200us, 1s)`;
  const unit = UNITS[m[2]];
  if (unit === undefined) return `unknown unit "${m[2]}" in "${text}" (use s, ms, us or ns)`;
  return Number(m[1]) * unit;
}

/** Formats seconds the way a person reads latencies: 12.3ms, 450us, 1.20s. */
export function formatDuration(seconds: number): string {
  const a = Math.abs(seconds);
  if (a >= 1) return `${trim(seconds.toFixed(3))}s`;
  if (a >= 1e-3) return `${trim((seconds * 1e3).toFixed(3))}ms`;
  if (a >= 1e-6 || a === 0) return `${trim((seconds * 1e6).toFixed(1))}us`;
  return `${trim((seconds * 1e9).toFixed(0))}ns`;
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
