/**
 * An own, enumerable property computed on first read (then kept; assigning replaces it). Being an
 * own property, spreading, cloning, `Object.keys` and JSON.stringify all see it in its place.
 * For a handful of big fields of one object (the analysis' flow list, its summary), not for
 * per-conversation objects: defining an accessor costs microseconds.
 */
export function defineLazy<T extends object, K extends keyof T>(obj: T, key: K, compute: () => T[K]): void {
  let value: T[K];
  let done = false;
  const get = (): T[K] => {
    if (!done) {
      value = compute();
      done = true;
      pending.delete(get);
    }
    return value;
  };
  pending.add(get);
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get,
    set(v: T[K]): void {
      value = v;
      done = true;
      pending.delete(get);
    },
  });
}

/** Getters of lazy fields not yet computed nor assigned. */
const pending = new WeakSet<object>();

/**
 * Whether `obj[key]` is a lazy field still to be computed: a presenter that needs one element at
 * a time can then make just that element rather than the whole field (and keep none of it).
 */
export function isLazyPending(obj: object, key: PropertyKey): boolean {
  const get = Object.getOwnPropertyDescriptor(obj, key)?.get;
  return get !== undefined && pending.has(get);
}
