/**
 * Where the flow table keeps bytes, without one ArrayBuffer per flow (each costs a native
 * allocation, zero-fill and GC bookkeeping, which dominated the per-flow cost):
 * - live flows' samples and stream prefixes sit in recycled fixed-size chunks of shared pools;
 * - a finalized flow's samples and prefixes are copied, exactly sized, into a shared slab and
 *   exposed as views of it.
 */
import type { FlowSamples } from './flow.js';

/** Packets per sample chunk. */
export const SAMPLE_CHUNK = 8;

/** Bytes per row of SamplePool. */
export const SAMPLE_ROW = 64;

/** Chunks per page of a pool (a power of two): pools grow a page at a time, never by copying. */
export const PAGE_SHIFT = 10;
export const PAGE_CHUNKS = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE_CHUNKS - 1;

/**
 * Recycled fixed-size chunks linked through `next`, allocated a page at a time. Subclasses add
 * the page storage; `alloc`/`freeList` are shared so both pools recycle chunks the same way.
 */
abstract class ChunkPool {
  private cap = 0;
  private used = 0;
  private freeHead = -1;
  next = new Int32Array(0);

  alloc(): number {
    let c = this.freeHead;
    if (c >= 0) this.freeHead = this.next[c];
    else {
      if (this.used === this.cap) this.grow();
      c = this.used++;
    }
    this.next[c] = -1;
    return c;
  }

  /** Returns a linked list of chunks (as built by the caller through `next`). */
  freeList(head: number): void {
    let c = head;
    while (c >= 0) {
      const n = this.next[c];
      this.next[c] = this.freeHead;
      this.freeHead = c;
      c = n;
    }
  }

  /** Adds storage for PAGE_CHUNKS more chunks. */
  protected abstract addPage(): void;

  private grow(): void {
    const cap = this.cap + PAGE_CHUNKS;
    if (cap > this.next.length) {
      const next = new Int32Array(Math.max(cap, this.next.length * 2));
      next.set(this.next);
      this.next = next;
    }
    this.addPage();
    this.cap = cap;
  }
}

/**
 * Sample storage for live flows, one 64-byte row per packet (one cache line: packets of thousands
 * of interleaved flows land in scattered places, and a column layout cost a cache miss per field).
 * Chunk c holds rows [c*8, c*8+8), in page c >> PAGE_SHIFT at row (c & PAGE_MASK) * 8. Row layout:
 * tsUs, seq, ack, tsVal, tsEcr as f64 (bytes 0-39), ipId, payloadLen i32, payloadHash u32 (40-51),
 * flags u16, ttl i16 (52-55), dir u8 (56). Pages are never copied or freed: growing by doubling one
 * buffer cost a copy of everything and, for a moment, twice the memory.
 */
export class SamplePool extends ChunkPool {
  f64: Float64Array[] = [];
  i32: Int32Array[] = [];
  u32: Uint32Array[] = [];
  u16: Uint16Array[] = [];
  i16: Int16Array[] = [];
  u8: Uint8Array[] = [];

  protected addPage(): void {
    const buf = new ArrayBuffer(PAGE_CHUNKS * SAMPLE_CHUNK * SAMPLE_ROW);
    this.f64.push(new Float64Array(buf));
    this.i32.push(new Int32Array(buf));
    this.u32.push(new Uint32Array(buf));
    this.u16.push(new Uint16Array(buf));
    this.i16.push(new Int16Array(buf));
    this.u8.push(new Uint8Array(buf));
  }
}

/** Recycled fixed-size byte chunks (live stream prefixes), linked through `next`, in pages. */
export class BytePool extends ChunkPool {
  static readonly CHUNK = 1024;
  /** Chunk c is pages[c >> PAGE_SHIFT][(c & PAGE_MASK) * CHUNK, + CHUNK). */
  pages: Uint8Array[] = [];

  protected addPage(): void {
    this.pages.push(new Uint8Array(PAGE_CHUNKS * BytePool.CHUNK));
  }
}

const SLAB_BYTES = 1 << 20;
/** Anything larger gets its own buffer rather than a slab tail. */
const SLAB_MAX_ITEM = 1 << 14;

/**
 * Bump allocator over 1 MiB ArrayBuffers for finalized flows' bytes (never freed piecemeal). An item
 * over SLAB_MAX_ITEM gets a buffer of its own, and the slab it interrupted resumes afterwards: its
 * free tail is not thrown away for one large prefix.
 */
export class Slab {
  buf = new ArrayBuffer(0);
  pos = 0;
  /** Typed views of `buf`, made once per buffer (finalized samples keep them). */
  cols: SlabColumns = columnsOf(this.buf);
  /** The shared slab while `buf` is a one-item buffer. */
  private resume: Slab | null = null;

  /**
   * Reserves `bytes` (8-byte aligned) and returns their offset in `this.buf`; `cols` then views
   * them. The slab may switch to another buffer, so read `buf` and `cols` after calling.
   */
  reserve(bytes: number): number {
    const need = (bytes + 7) & ~7;
    if (need > SLAB_MAX_ITEM) {
      if (this.resume === null) {
        const saved = new Slab();
        saved.adopt(this);
        this.resume = saved;
      }
      this.open(need);
      this.pos = need;
      return 0;
    }
    if (this.resume !== null) {
      this.adopt(this.resume);
      this.resume = null;
    }
    if (this.pos + need > this.buf.byteLength) {
      this.open(SLAB_BYTES);
    }
    const off = this.pos;
    this.pos += need;
    return off;
  }

  private adopt(o: Slab): void {
    this.buf = o.buf;
    this.pos = o.pos;
    this.cols = o.cols;
  }

  private open(size: number): void {
    this.buf = new ArrayBuffer(size);
    this.pos = 0;
    this.cols = columnsOf(this.buf);
  }
}

/** Typed arrays over one whole slab buffer. */
export interface SlabColumns {
  f64: Float64Array;
  i32: Int32Array;
  u32: Uint32Array;
  u16: Uint16Array;
  i16: Int16Array;
  u8: Uint8Array;
}

function columnsOf(buf: ArrayBuffer): SlabColumns {
  return {
    f64: new Float64Array(buf, 0, buf.byteLength >> 3),
    i32: new Int32Array(buf, 0, buf.byteLength >> 2),
    u32: new Uint32Array(buf, 0, buf.byteLength >> 2),
    u16: new Uint16Array(buf, 0, buf.byteLength >> 1),
    i16: new Int16Array(buf, 0, buf.byteLength >> 1),
    u8: new Uint8Array(buf),
  };
}

/** Bytes per sampled packet across the eleven arrays (8-byte fields first so every view is aligned). */
export const SAMPLE_STRIDE = 8 * 5 + 4 * 3 + 2 * 2 + 1;

/**
 * A finalized flow's samples: `count` packets packed in one slab region, column after column. Each
 * column's typed-array view is made on first access (and then kept): the correlator reads a few
 * columns of every flow and all of them only for the flows it compares packet by packet.
 */
export class PackedSamples implements FlowSamples {
  count: number;
  dropped: number;
  private tsUsView: Float64Array | null = null;
  private seqView: Float64Array | null = null;
  private ackView: Float64Array | null = null;
  private tsValView: Float64Array | null = null;
  private tsEcrView: Float64Array | null = null;
  private ipIdView: Int32Array | null = null;
  private payloadLenView: Int32Array | null = null;
  private payloadHashView: Uint32Array | null = null;
  private flagsView: Uint16Array | null = null;
  private ttlView: Int16Array | null = null;
  private dirView: Uint8Array | null = null;

  // Whole-buffer arrays shared by every flow packed in the same slab buffer, and where this flow's
  // columns start in them (element indices): the xxxAt(i) readers use these, so a reader that
  // visits every flow (the correlator) makes no view per flow and column.
  private readonly cols: SlabColumns;
  private readonly o8: number;
  private readonly o4: number;
  private readonly o2: number;
  private readonly o1: number;

  constructor(count: number, dropped: number, buf: ArrayBuffer, off: number, cols?: SlabColumns) {
    this.count = count;
    this.dropped = dropped;
    this.cols = cols ?? columnsOf(buf);
    this.o8 = off >> 3;
    this.o4 = (off + 40 * count) >> 2;
    this.o2 = (off + 52 * count) >> 1;
    this.o1 = off + 56 * count;
  }

  tsUsAt(i: number): number {
    return this.cols.f64[this.o8 + i];
  }
  seqAt(i: number): number {
    return this.cols.f64[this.o8 + this.count + i];
  }
  ackAt(i: number): number {
    return this.cols.f64[this.o8 + 2 * this.count + i];
  }
  tsValAt(i: number): number {
    return this.cols.f64[this.o8 + 3 * this.count + i];
  }
  tsEcrAt(i: number): number {
    return this.cols.f64[this.o8 + 4 * this.count + i];
  }
  ipIdAt(i: number): number {
    return this.cols.i32[this.o4 + i];
  }
  payloadLenAt(i: number): number {
    return this.cols.i32[this.o4 + this.count + i];
  }
  payloadHashAt(i: number): number {
    return this.cols.u32[this.o4 + 2 * this.count + i];
  }
  flagsAt(i: number): number {
    return this.cols.u16[this.o2 + i];
  }
  ttlAt(i: number): number {
    return this.cols.i16[this.o2 + this.count + i];
  }
  dirAt(i: number): number {
    return this.cols.u8[this.o1 + i];
  }

  /** A view of `count` elements of a whole-buffer array from `start`. */
  private column<A extends Float64Array | Int32Array | Uint32Array | Uint16Array | Int16Array | Uint8Array>(all: A, start: number): A {
    return all.subarray(start, start + this.count) as A;
  }

  get tsUs(): Float64Array {
    return (this.tsUsView ??= this.column(this.cols.f64, this.o8));
  }
  get seq(): Float64Array {
    return (this.seqView ??= this.column(this.cols.f64, this.o8 + this.count));
  }
  get ack(): Float64Array {
    return (this.ackView ??= this.column(this.cols.f64, this.o8 + 2 * this.count));
  }
  get tsVal(): Float64Array {
    return (this.tsValView ??= this.column(this.cols.f64, this.o8 + 3 * this.count));
  }
  get tsEcr(): Float64Array {
    return (this.tsEcrView ??= this.column(this.cols.f64, this.o8 + 4 * this.count));
  }
  get ipId(): Int32Array {
    return (this.ipIdView ??= this.column(this.cols.i32, this.o4));
  }
  get payloadLen(): Int32Array {
    return (this.payloadLenView ??= this.column(this.cols.i32, this.o4 + this.count));
  }
  get payloadHash(): Uint32Array {
    return (this.payloadHashView ??= this.column(this.cols.u32, this.o4 + 2 * this.count));
  }
  get flags(): Uint16Array {
    return (this.flagsView ??= this.column(this.cols.u16, this.o2));
  }
  get ttl(): Int16Array {
    return (this.ttlView ??= this.column(this.cols.i16, this.o2 + this.count));
  }
  get dir(): Uint8Array {
    return (this.dirView ??= this.column(this.cols.u8, this.o1));
  }

  /** Plain data for JSON / structured clone (accessors live on the prototype, so spell them out). */
  toJSON(): Record<string, unknown> {
    return {
      count: this.count,
      dropped: this.dropped,
      tsUs: this.tsUs,
      seq: this.seq,
      ack: this.ack,
      tsVal: this.tsVal,
      tsEcr: this.tsEcr,
      ipId: this.ipId,
      payloadLen: this.payloadLen,
      payloadHash: this.payloadHash,
      flags: this.flags,
      ttl: this.ttl,
      dir: this.dir,
    };
  }
}

/**
 * Copies `count` samples from a pool chunk list into an exact-size slab region and wraps them.
 * Chunks are walked in order: packet i lives in the (i / 8)-th chunk of the list.
 */
export function packSamples(pool: SamplePool, head: number, count: number, dropped: number, slab: Slab): PackedSamples {
  const n = count;
  const off = slab.reserve(n * SAMPLE_STRIDE);
  const { f64, i32, u32, u16, i16, u8 } = slab.cols;
  const o8 = off >> 3;
  const o4 = (off + 40 * n) >> 2;
  const o2 = (off + 52 * n) >> 1;
  const o1 = off + 56 * n;
  let c = head;
  for (let i = 0; i < n; i += SAMPLE_CHUNK) {
    const m = Math.min(SAMPLE_CHUNK, n - i);
    const page = c >> PAGE_SHIFT;
    const pf64 = pool.f64[page];
    const pi32 = pool.i32[page];
    const pu32 = pool.u32[page];
    const pu16 = pool.u16[page];
    const pi16 = pool.i16[page];
    const pu8 = pool.u8[page];
    for (let j = 0; j < m; j++) {
      const k = i + j;
      const r = ((c & PAGE_MASK) * SAMPLE_CHUNK + j) * SAMPLE_ROW;
      const r8 = r >> 3;
      f64[o8 + k] = pf64[r8];
      f64[o8 + n + k] = pf64[r8 + 1];
      f64[o8 + 2 * n + k] = pf64[r8 + 2];
      f64[o8 + 3 * n + k] = pf64[r8 + 3];
      f64[o8 + 4 * n + k] = pf64[r8 + 4];
      i32[o4 + k] = pi32[(r >> 2) + 10];
      i32[o4 + n + k] = pi32[(r >> 2) + 11];
      u32[o4 + 2 * n + k] = pu32[(r >> 2) + 12];
      u16[o2 + k] = pu16[(r >> 1) + 26];
      i16[o2 + n + k] = pi16[(r >> 1) + 27];
      u8[o1 + k] = pu8[r + 56];
    }
    c = pool.next[c];
  }
  return new PackedSamples(count, dropped, slab.buf, off, slab.cols);
}
