import { useInput, type Key } from 'ink';
import { splitKeys } from '../split-keys.js';

/** Like Ink's useInput, but called once per key when several keys arrive in one input chunk. */
export function useKeyPresses(onKey: (input: string, key: Key) => void): void {
  useInput((input, key) => {
    for (const [i, k] of splitKeys(input, key)) onKey(i, k);
  });
}
