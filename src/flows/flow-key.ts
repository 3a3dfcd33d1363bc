/**
 * Flow keys as short arrays of 32-bit words (interface id, protocol and kind, both endpoints with
 * the lower one first, an ICMP tail), and a hash table over them. Building a string key per
 * packet and hashing it in a Map was the flow table's largest per-packet cost; words are written
 * into one scratch array and compared in place, so a lookup allocates nothing.
 */

/**
 * Longest key: 2 header words, two IPv6 endpoints with ports (5 words each), an ICMP-error tail
 * of 19 (both addresses in sending order, the quoted addresses, protocol and ports, type/code).
 */
export const MAX_KEY_WORDS = 2 + 5 + 5 + 19;

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

/** Int32 words per table row: hash, key length, then the key's first INLINE_WORDS words (64 bytes). */
const ROW = 16;
const INLINE_WORDS = ROW - 2;

/**
 * Open addressing with linear probing; deletion shifts followers back (no tombstones). Each slot's
 * hash, length and first key words sit in one 64-byte row of a flat Int32Array, so a probe reads
 * one cache line and touches the entry itself only on a match (keys longer than the row, such as
 * IPv6 ICMP errors, compare their tail against the entry's keyWords).
 */
export class KeyTable<V extends KeyEntry> {
  private slots: (V | undefined)[];
  private rows: Int32Array;
  private mask: number;
  size = 0;

  /** `capacity`: slots to start with (a power of two); a table holds up to half as many entries before growing. */
  constructor(capacity = 64) {
    this.slots = new Array<V | undefined>(capacity).fill(undefined);
    this.rows = new Int32Array(capacity * ROW);
    this.mask = capacity - 1;
  }

  /** Removes every entry, keeping the capacity. */
  clear(): void {
    if (this.size === 0) return;
    this.slots.fill(undefined);
    this.rows.fill(0);
    this.size = 0;
  }

  get(w: Int32Array, n: number, hash: number): V | undefined {
    const rows = this.rows;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const r = i * ROW;
      const len = rows[r + 1];
      if (len === 0) return undefined;
      if (rows[r] === hash && len === n && this.matches(i, w, n)) return this.slots[i];
    }
  }

  private matches(i: number, w: Int32Array | readonly number[], n: number): boolean {
    const rows = this.rows;
    const r = i * ROW + 2;
    const m = n < INLINE_WORDS ? n : INLINE_WORDS;
    for (let k = 0; k < m; k++) if (rows[r + k] !== w[k]) return false;
    if (n <= INLINE_WORDS) return true;
    const kw = (this.slots[i] as V).keyWords;
    for (let k = INLINE_WORDS; k < n; k++) if (kw[k] !== w[k]) return false;
    return true;
  }

  /** Inserts or replaces the entry with v's key. */
  set(v: V): void {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    const mask = this.mask;
    const w = v.keyWords;
    const n = w.length;
    const rows = this.rows;
    for (let i = v.keyHash & mask; ; i = (i + 1) & mask) {
      const r = i * ROW;
      const len = rows[r + 1];
      if (len === 0) {
        this.slots[i] = v;
        rows[r] = v.keyHash;
        rows[r + 1] = n;
        const m = n < INLINE_WORDS ? n : INLINE_WORDS;
        for (let k = 0; k < m; k++) rows[r + 2 + k] = w[k];
        this.size++;
        return;
      }
      if (rows[r] === v.keyHash && len === n && this.matches(i, w, n)) {
        this.slots[i] = v;
        return;
      }
    }
  }

  /** Removes exactly this entry (not another one with an equal key). */
  delete(v: V): boolean {
    const slots = this.slots;
    const rows = this.rows;
    const mask = this.mask;
    let i = v.keyHash & mask;
    for (; ; i = (i + 1) & mask) {
      if (rows[i * ROW + 1] === 0) return false;
      if (slots[i] === v) break;
    }
    // Backward-shift: move later members of the probe run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const rj = j * ROW;
      if (rows[rj + 1] === 0) break;
      const home = rows[rj] & mask;
      const dist = (j - home) & mask;
      const toHole = (j - hole) & mask;
      if (dist >= toHole) {
        slots[hole] = slots[j];
        const rh = hole * ROW;
        for (let k = 0; k < ROW; k++) rows[rh + k] = rows[rj + k];
        hole = j;
      }
    }
    slots[hole] = undefined;
    rows[hole * ROW + 1] = 0;
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
    this.rows = new Int32Array(cap * ROW);
    this.mask = cap - 1;
    this.size = 0;
    for (const v of old) if (v !== undefined) this.set(v);
  }
}
