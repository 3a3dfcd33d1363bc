/**
 * An own, enumerable property computed on first read (then kept; assigning replaces it). Being an
 * own property, spreading, cloning, `Object.keys` and JSON.stringify all see it in its place.
 * For a handful of big fields of one object (the analysis' flow list, its summary), not for
 * per-conversation objects: defining an accessor costs microseconds.
 */
export function defineLazy<T extends object, K extends keyof T>(obj: T, key: K, compute: () => T[K]): void {
  let value: T[K];
  let done = false;
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get(): T[K] {
      if (!done) {
        value = compute();
        done = true;
      }
      return value;
    },
    set(v: T[K]): void {
      value = v;
      done = true;
    },
  });
}
