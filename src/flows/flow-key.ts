/**
 * Flow keys as short arrays of 32-bit words (interface id, protocol and kind, both endpoints with
 * the lower one first, an ICMP tail), and a hash table over them. Building a string key per
 * packet and hashing it in a Map was the flow table's largest per-packet cost; words are written
 * into one scratch array and compared in place, so a lookup allocates nothing.
 */

/** Longest key: 2 header words, two IPv6 endpoints with ports (5 words each), an ICMP-error tail of 9. */
export const MAX_KEY_WORDS = 2 + 5 + 5 + 9;

export interface KeyEntry {
  keyWords: readonly number[];
  keyHash: number;
}

export function hashWords(w: Int32Array, n: number): number {
  let h = 0x9747b28c ^ n;
  for (let i = 0; i < n; i++) {
    let k = Math.imul(w[i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function sameKey(a: readonly number[], w: Int32Array | readonly number[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== w[i]) return false;
  return true;
}

/** Open addressing with linear probing; deletion shifts followers back (no tombstones). */
export class KeyTable<V extends KeyEntry> {
  private slots: (V | undefined)[] = new Array<V | undefined>(64).fill(undefined);
  private hashes = new Int32Array(64);
  private mask = 63;
  size = 0;

  get(w: Int32Array, n: number, hash: number): V | undefined {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === undefined) return undefined;
      if (this.hashes[i] === hash && sameKey(v.keyWords, w, n)) return v;
    }
  }

  /** Inserts or replaces the entry with v's key. */
  set(v: V): void {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    const mask = this.mask;
    const w = v.keyWords;
    for (let i = v.keyHash & mask; ; i = (i + 1) & mask) {
      const cur = this.slots[i];
      if (cur === undefined) {
        this.slots[i] = v;
        this.hashes[i] = v.keyHash;
        this.size++;
        return;
      }
      if (this.hashes[i] === v.keyHash && sameKey(cur.keyWords, w, w.length)) {
        this.slots[i] = v;
        return;
      }
    }
  }

  /** Removes exactly this entry (not another one with an equal key). */
  delete(v: V): boolean {
    const slots = this.slots;
    const mask = this.mask;
    let i = v.keyHash & mask;
    for (; ; i = (i + 1) & mask) {
      const cur = slots[i];
      if (cur === undefined) return false;
      if (cur === v) break;
    }
    // Backward-shift: move later members of the probe run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const cur = slots[j];
      if (cur === undefined) break;
      const home = this.hashes[j] & mask;
      const dist = (j - home) & mask;
      const toHole = (j - hole) & mask;
      if (dist >= toHole) {
        slots[hole] = cur;
        this.hashes[hole] = this.hashes[j];
        hole = j;
      }
    }
    slots[hole] = undefined;
    this.size--;
    return true;
  }

  /** Every entry, in no particular order. */
  values(): V[] {
    const out: V[] = [];
    for (const v of this.slots) if (v !== undefined) out.push(v);
    return out;
  }

  private grow(): void {
    const old = this.slots;
    const cap = old.length * 2;
    this.slots = new Array<V | undefined>(cap).fill(undefined);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (const v of old) if (v !== undefined) this.set(v);
  }
}
