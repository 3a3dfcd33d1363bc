/**
 * Content-defined anchors of a TCP stream joined mid-way: positions where a rolling hash of the
 * last 32 bytes has its low bits zero (a gear hash, as content-defined chunking uses). Where they
 * fall depends on the bytes only, so two captures of one stream, however offset and however long,
 * find the same anchors in the span both saw, at offsets that differ by a constant: how far apart
 * the two copies started. That ties the two connections of a proxy whose transfer the capture
 * caught in the middle, and stopped before its end (../correlate/relay.ts).
 *
 * Memory and time are bounded: only a stream's first ANCHOR_SPAN bytes are hashed, and at most
 * MAX_ANCHORS anchors are kept, a sample chosen by their own hash bits, one more bit each time
 * the list fills (and about half is dropped). Two copies keep the same sample of the anchors they
 * share at a common level, whatever their lengths.
 */

/** 1 in 2^11 positions (about every 2 KiB) is an anchor. */
const ANCHOR_MASK = (1 << 11) - 1;
/** Bytes after a start or a hole before the hash covers a whole window. */
const WINDOW = 32;
export const MAX_ANCHORS = 128;
/**
 * Only a stream's first bytes are hashed (a per-byte cost, on streams joined mid-way only). Two
 * copies of one stream start apart by what the proxy held, far less than this: their first
 * spans overlap, and that is where their anchors meet.
 */
export const ANCHOR_SPAN = 4 << 20;
/** Sampling levels use the hash bits above the mask: 21 of them. */
const MAX_LEVEL = 20;

/** 256 fixed pseudo-random words (splitmix32 from a constant seed): the gear hash's table. */
const GEAR = (() => {
  const t = new Int32Array(256);
  let s = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    t[i] = z ^ (z >>> 16);
  }
  return t;
})();

/** Whether an anchor's hash is in the sample kept at `level`. */
export function atLevel(value: number, level: number): boolean {
  return level === 0 || ((value >>> 11) & ((1 << level) - 1)) === 0;
}

export class StreamAnchors {
  /** Anchor hashes (unsigned), their offsets in the stream (sequence space) and times. */
  readonly values = new Uint32Array(MAX_ANCHORS);
  readonly offsets = new Float64Array(MAX_ANCHORS);
  readonly times = new Float64Array(MAX_ANCHORS);
  count = 0;
  /** Sampling level: an anchor is kept when its `level` bits above the mask are zero. */
  level = 0;
  private hash = 0;
  /** Bytes hashed since the start or the last hole. */
  private run = 0;

  /** Feeds d[off, off+len), whose first byte sits at `offset` in the stream. */
  update(d: Uint8Array, off: number, len: number, offset: number, tsUs: number): void {
    if (offset >= ANCHOR_SPAN) return;
    if (offset + len > ANCHOR_SPAN) len = ANCHOR_SPAN - offset;
    let h = this.hash;
    let run = this.run;
    const end = off + len;
    for (let i = off; i < end; i++) {
      h = ((h << 1) + GEAR[d[i]]) | 0;
      if ((h & ANCHOR_MASK) === 0 && run >= WINDOW) this.add(h >>> 0, offset + (i - off), tsUs);
      run++;
    }
    this.hash = h;
    this.run = run;
  }

  /** A hole: the hash restarts after it. */
  gap(): void {
    this.hash = 0;
    this.run = 0;
  }

  private add(value: number, offset: number, tsUs: number): void {
    // Past MAX_LEVEL the stream repeats itself (a run of zeros is an anchor at every byte): what
    // was kept stays.
    if (this.level > MAX_LEVEL || !atLevel(value, this.level)) return;
    if (this.count === MAX_ANCHORS) {
      this.level++;
      let k = 0;
      for (let i = 0; i < this.count; i++) {
        if (!atLevel(this.values[i], this.level)) continue;
        this.values[k] = this.values[i];
        this.offsets[k] = this.offsets[i];
        this.times[k] = this.times[i];
        k++;
      }
      this.count = k;
      if (!atLevel(value, this.level) || k === MAX_ANCHORS) return;
    }
    const k = this.count++;
    this.values[k] = value;
    this.offsets[k] = offset;
    this.times[k] = tsUs;
  }
}
