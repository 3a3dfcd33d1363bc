/** How many selected conversations an expectation wants: an inclusive range. */
export interface CountSpec {
  min: number;
  /** null = no upper bound. */
  max: number | null;
}

/** Parses `3`, `"3"`, `"== 3"`, `">= 1"`, `"> 0"`, `"<= 2"`, `"< 5"`, `none`. */
export function parseCountText(text: string): CountSpec | string {
  const s = text.trim();
  if (s === 'none') return { min: 0, max: 0 };
  if (s === 'any') return { min: 0, max: null };
  const m = /^(==|>=|<=|>|<|=)?\s*(\d+)$/.exec(s);
  if (!m) return `"${text}" is not a count (write 3, ">= 1", "<= 2" or none)`;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return { min: n, max: null };
    case '>':
      return { min: n + 1, max: null };
    case '<=':
      return { min: 0, max: n };
    case '<':
      if (n === 0) return `"${text}" can never hold`;
      return { min: 0, max: n - 1 };
    default:
      return { min: n, max: n };
  }
}

export function countHolds(spec: CountSpec, n: number): boolean {
  return n >= spec.min && (spec.max === null || n <= spec.max);
}

export function describeCount(spec: CountSpec): string {
  if (spec.max === spec.min) return spec.min === 0 ? 'none' : `exactly ${spec.min}`;
  if (spec.max === null) return spec.min === 0 ? 'any number' : `at least ${spec.min}`;
  if (spec.min === 0) return `at most ${spec.max}`;
  return `between ${spec.min} and ${spec.max}`;
}
