/**
 * MurmurHash3 x86_128 (Austin Appleby's public-domain hash), streaming: the digest depends only on
 * the bytes, never on how they were chunked, so one stream cut into different segments on two
 * interfaces hashes the same. It replaces a per-segment SHA-1 (a native call per tiny segment):
 * stream digests are only compared for equality, they need no cryptographic strength.
 */
const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Reused while the bytes hashed live in one buffer (the reader's, mostly). */
let scratchView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

const HEX = '0123456789abcdef';
const CODES: number[] = new Array<number>(32).fill(0);

function putHex8(at: number, x: number): void {
  for (let i = 0; i < 8; i++) CODES[at + i] = HEX.charCodeAt((x >>> (28 - 4 * i)) & 15);
}

export class StreamHash {
  private h1 = 0;
  private h2 = 0;
  private h3 = 0;
  private h4 = 0;
  /** Total bytes fed (mod 2^32, as the x86 variant defines it). */
  private total = 0;
  /** Bytes of an incomplete 16-byte block carried to the next update. */
  private readonly tail = new Uint8Array(16);
  private readonly tailView = new DataView(this.tail.buffer);
  private tailLen = 0;

  reset(): void {
    this.h1 = this.h2 = this.h3 = this.h4 = 0;
    this.total = 0;
    this.tailLen = 0;
  }

  update(d: Uint8Array, off: number, len: number): void {
    let i = off;
    const end = off + len;
    this.total = (this.total + len) | 0;
    if (this.tailLen > 0) {
      while (this.tailLen < 16 && i < end) this.tail[this.tailLen++] = d[i++];
      if (this.tailLen < 16) return;
      this.blocks(this.tailView, 0, 16);
      this.tailLen = 0;
    }
    if (end - i >= 16) {
      let dv = scratchView;
      if (dv.buffer !== d.buffer) dv = scratchView = new DataView(d.buffer);
      const base = d.byteOffset;
      i = this.blocks(dv, base + i, base + end) - base;
    }
    while (i < end) this.tail[this.tailLen++] = d[i++];
  }

  /**
   * Whole 16-byte blocks of dv[i, end) (byte offsets in its buffer), with the state in locals and
   * words read through a DataView: payload sits at any alignment in the reader's buffer, and four
   * byte loads per word cost twice as much. Returns the offset after the last whole block.
   */
  private blocks(dv: DataView<ArrayBufferLike>, i: number, end: number): number {
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    for (; end - i >= 16; i += 16) {
      let k1 = dv.getInt32(i, true);
      let k2 = dv.getInt32(i + 4, true);
      let k3 = dv.getInt32(i + 8, true);
      let k4 = dv.getInt32(i + 12, true);
      k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
      h1 ^= k1;
      h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
      k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
      h2 ^= k2;
      h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
      k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
      h3 ^= k3;
      h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
      k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
      h4 ^= k4;
      h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    this.h4 = h4;
    return i;
  }

  /** 32 hex characters; the state is spent afterwards. */
  digest(): string {
    const t = this.tail;
    const n = this.tailLen;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    if (n > 12) {
      let k4 = 0;
      for (let j = n - 1; j >= 12; j--) k4 = (k4 << 8) | t[j];
      h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    }
    if (n > 8) {
      let k3 = 0;
      for (let j = Math.min(n, 12) - 1; j >= 8; j--) k3 = (k3 << 8) | t[j];
      h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    }
    if (n > 4) {
      let k2 = 0;
      for (let j = Math.min(n, 8) - 1; j >= 4; j--) k2 = (k2 << 8) | t[j];
      h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    }
    if (n > 0) {
      let k1 = 0;
      for (let j = Math.min(n, 4) - 1; j >= 0; j--) k1 = (k1 << 8) | t[j];
      h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    }
    const len = this.total;
    h1 ^= len;
    h2 ^= len;
    h3 ^= len;
    h4 ^= len;
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h3 = fmix(h3);
    h4 = fmix(h4);
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    putHex8(0, h1);
    putHex8(8, h2);
    putHex8(16, h3);
    putHex8(24, h4);
    // One flat string (concatenating pieces would keep a rope of four per digest).
    return String.fromCharCode.apply(null, CODES);
  }
}
