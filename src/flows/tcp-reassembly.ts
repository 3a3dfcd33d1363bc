/**
 * One direction of a TCP stream, reassembled: payload delivered in sequence order with
 * retransmissions and overlaps resolved (first copy wins), holes recorded as gaps. Only a bounded
 * prefix is kept; the whole stream is hashed (./stream-hash.ts) so two captures of one stream can be
 * compared without keeping either. While the stream still fits its prefix nothing is hashed per
 * segment: the prefix is hashed once at the end, and only a stream outgrowing it is hashed as it goes.
 */
import type { StreamGap } from './flow.js';
import { StreamHash } from './stream-hash.js';
import { StreamAnchors } from './stream-anchors.js';
import { BytePool, PAGE_MASK, PAGE_SHIFT, type Slab } from './flow-storage.js';

const CHUNK = BytePool.CHUNK;
/** For reassemblers made without a pool (tests, one-off use). */
const sharedPool = new BytePool();

interface PendingSegment {
  seq: number;
  bytes: Uint8Array;
  /** Sequence space the segment covers (> bytes.length when the capture cut it short). */
  wireLen: number;
}

export type SegmentVerdict = 'in-order' | 'retransmission' | 'overlap' | 'out-of-order' | 'empty';

export interface ReassemblyLimits {
  prefixBytes: number;
  maxPendingSegments: number;
  /** Bytes of out-of-order data buffered before a gap is declared. */
  maxPendingBytes: number;
  maxGapList: number;
  /**
   * Last bytes kept of a stream whose start the capture missed (its first segment was not after
   * a SYN). The same download seen on the two sides of a proxy then starts at different offsets
   * (the proxy held some bytes when the capture began) and ends with the same bytes: their ends
   * are what can be compared (../correlate/relay.ts), and the stream's content-defined anchors
   * (./stream-anchors.ts) when the capture also stopped before it ended. Neither when absent or 0.
   */
  tailBytes?: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  prefixBytes: 65536,
  maxPendingSegments: 64,
  maxPendingBytes: 1 << 20,
  maxGapList: 32,
  tailBytes: 1024,
};

const EMPTY = new Uint8Array(0);
/** The gap list of every stream without gaps (frozen: it is shared). */
const NO_GAPS: StreamGap[] = Object.freeze([]) as unknown as StreamGap[];

export class StreamReassembler {
  private started = false;
  /** Raw sequence number of the next byte expected. */
  private nextSeq = 0;
  private pending: PendingSegment[] = [];
  private pendingBytes = 0;
  /** Created when the prefix is full: from then on delivered bytes are hashed as they arrive. */
  private hash: StreamHash | null = null;
  // The prefix lives in a chain of pool chunks until release() copies it out.
  private prefixHead = -1;
  private prefixTail = -1;
  private prefixLen = 0;
  private readonly limits: ReassemblyLimits;
  private readonly pool: BytePool;
  /** Ring of the last delivered bytes, for a stream joined mid-way (null otherwise). */
  private tailRing: Uint8Array | null = null;
  /** Where the ring's next byte goes, and how many bytes it holds since the last gap. */
  private tailAt = 0;
  private tailLen = 0;
  /** Content-defined anchors, for a stream joined mid-way (null otherwise): see ./stream-anchors.ts. */
  private anchorSet: StreamAnchors | null = null;

  streamBytes = 0;
  gaps = 0;
  gapBytes = 0;
  /** NO_GAPS (shared, frozen) until the first gap: most streams have none. */
  gapList: StreamGap[] = NO_GAPS;
  retransmissions = 0;
  outOfOrder = 0;
  // Times as doubles from the start (-1 = none): a field that starts as null holds a double as a
  // fresh heap number per write, and lastUs is written for every data segment.
  private firstUs = -0.5;
  private lastUs = -0.5;

  /** Time of the first / last delivered byte; null when nothing was delivered. */
  get firstDataUs(): number | null {
    return this.firstUs < 0 ? null : this.firstUs;
  }

  get lastDataUs(): number | null {
    return this.lastUs < 0 ? null : this.lastUs;
  }

  constructor(limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS, pool: BytePool = sharedPool) {
    this.limits = limits;
    this.pool = pool;
  }

  /** The SYN's sequence number: the stream starts right after it. Ignored once data has started. */
  setIsn(isn: number): void {
    if (this.started) return;
    this.started = true;
    this.nextSeq = (isn + 1) >>> 0;
  }

  /**
   * Feeds one segment. `data[off, off+capLen)` are the captured payload bytes, `wireLen` the
   * payload length the headers claim (bytes beyond capLen become a gap). Copies what it keeps.
   */
  segment(seq: number, data: Uint8Array, off: number, capLen: number, wireLen: number, tsUs: number): SegmentVerdict {
    if (wireLen < capLen) wireLen = capLen;
    if (wireLen <= 0) return 'empty';
    if (!this.started) {
      // Mid-stream: the first data segment seen defines the start.
      this.started = true;
      this.nextSeq = seq >>> 0;
      const tailBytes = this.limits.tailBytes ?? 0;
      if (tailBytes > 0) {
        this.tailRing = new Uint8Array(tailBytes);
        this.anchorSet = new StreamAnchors();
      }
    }
    const delta = (seq - this.nextSeq) | 0;
    if (delta + wireLen <= 0) {
      this.retransmissions++;
      return 'retransmission';
    }
    if (delta <= 0) {
      // 0 - delta, not -delta: for an in-order segment delta is 0, and -0 is a double that would
      // turn every offset and length below (and streamBytes) into heap numbers.
      const skip = 0 - delta;
      const capSkip = Math.min(skip, capLen);
      this.deliver(data, off + capSkip, capLen - capSkip, wireLen - skip, tsUs);
      this.drain(tsUs);
      if (skip > 0) {
        this.retransmissions++;
        return 'overlap';
      }
      return 'in-order';
    }
    // Ahead of a hole: buffer a copy until the hole fills (or we give up on it).
    for (const p of this.pending) {
      const d = (seq - p.seq) | 0;
      if (d >= 0 && d + wireLen <= p.wireLen) {
        this.retransmissions++;
        return 'retransmission';
      }
    }
    const seg: PendingSegment = { seq: seq >>> 0, bytes: data.slice(off, off + capLen), wireLen };
    let i = this.pending.length;
    while (i > 0 && ((this.pending[i - 1].seq - seg.seq) | 0) > 0) i--;
    this.pending.splice(i, 0, seg);
    this.pendingBytes += capLen;
    this.outOfOrder++;
    if (this.pending.length > this.limits.maxPendingSegments || this.pendingBytes > this.limits.maxPendingBytes) {
      this.skipToPending(tsUs);
    }
    return 'out-of-order';
  }

  /** A datagram (UDP, …): appended as-is, so datagram flows get a prefix and digest too. */
  datagram(data: Uint8Array, off: number, capLen: number, wireLen: number, tsUs: number): void {
    this.started = true;
    this.deliver(data, off, capLen, Math.max(capLen, wireLen), tsUs);
  }

  /**
   * The stream ended at `seq` (its FIN's sequence number): bytes before it that never reached the
   * capture (the last segments lost, a response the capture missed whole) are a gap, so the
   * stream's length is the sender's, not what was seen. After flush().
   */
  endAt(seq: number): void {
    if (!this.started) return;
    const missing = (seq - this.nextSeq) | 0;
    // A FIN behind the stream (a retransmission's) or implausibly far ahead says nothing.
    if (missing <= 0 || missing > this.limits.maxPendingBytes * 64) return;
    this.recordGap(missing);
    this.nextSeq = seq >>> 0;
  }

  /** End of stream (FIN, RST or end of capture): whatever is buffered is delivered around its gaps. */
  flush(tsUs: number): void {
    while (this.pending.length > 0) this.skipToPending(tsUs);
  }

  /** A copy of the prefix kept so far. */
  get prefix(): Uint8Array {
    const out = new Uint8Array(this.prefixLen);
    this.copyPrefix(out, 0);
    return out;
  }

  private copyPrefix(dst: Uint8Array, at: number): void {
    const pages = this.pool.pages;
    let left = this.prefixLen;
    for (let c = this.prefixHead; c >= 0 && left > 0; c = this.pool.next[c]) {
      const n = Math.min(CHUNK, left);
      const bytes = pages[c >> PAGE_SHIFT];
      const o = (c & PAGE_MASK) * CHUNK;
      if (n <= 64) for (let i = 0; i < n; i++) dst[at + i] = bytes[o + i];
      else dst.set(bytes.subarray(o, o + n), at);
      at += n;
      left -= n;
    }
  }

  private hashPrefix(h: StreamHash): void {
    const pages = this.pool.pages;
    let left = this.prefixLen;
    for (let c = this.prefixHead; c >= 0 && left > 0; c = this.pool.next[c]) {
      const n = Math.min(CHUNK, left);
      h.update(pages[c >> PAGE_SHIFT], (c & PAGE_MASK) * CHUNK, n);
      left -= n;
    }
  }

  /** Hex digest of the delivered stream (./stream-hash.ts); null when nothing was delivered. Call once, at the end. */
  digest(): string | null {
    return this.finishDigest((h) => this.hashPrefix(h));
  }

  /** digest() after release(): `prefix` is what release() returned (the chunks are gone by then). */
  digestReleased(prefix: Uint8Array): string | null {
    return this.finishDigest((h) => h.update(prefix, 0, prefix.length));
  }

  /** The running hash if the stream outgrew its prefix; otherwise the prefix is the whole stream. */
  private finishDigest(hashWholePrefix: (h: StreamHash) => void): string | null {
    if (this.hash !== null) {
      const d = this.hash.digest();
      this.hash = null;
      return d;
    }
    if (this.streamBytes === 0) return null;
    scratchHash.reset();
    hashWholePrefix(scratchHash);
    return scratchHash.digest();
  }

  /**
   * Drops the buffers and returns the prefix as an exact-size copy: a view of `slab` when one is
   * given (no buffer of its own), else a fresh array.
   */
  release(slab?: Slab): Uint8Array {
    let prefix = EMPTY;
    if (this.prefixLen > 0) {
      if (slab) {
        const off = slab.reserve(this.prefixLen);
        prefix = new Uint8Array(slab.buf, off, this.prefixLen);
      } else prefix = new Uint8Array(this.prefixLen);
      this.copyPrefix(prefix, 0);
    }
    this.pool.freeList(this.prefixHead);
    this.prefixHead = this.prefixTail = -1;
    this.prefixLen = 0;
    this.pending.length = 0;
    this.pendingBytes = 0;
    return prefix;
  }

  private skipToPending(tsUs: number): void {
    const first = this.pending[0];
    const hole = (first.seq - this.nextSeq) | 0;
    if (hole > 0) {
      this.recordGap(hole);
      this.nextSeq = first.seq;
    }
    this.drain(tsUs);
  }

  private drain(tsUs: number): void {
    while (this.pending.length > 0) {
      const p = this.pending[0];
      const d = (p.seq - this.nextSeq) | 0;
      if (d > 0) return;
      this.pending.shift();
      this.pendingBytes -= p.bytes.length;
      const skip = 0 - d;
      if (skip >= p.wireLen) continue;
      const capSkip = Math.min(skip, p.bytes.length);
      this.deliver(p.bytes, capSkip, p.bytes.length - capSkip, p.wireLen - skip, tsUs);
    }
  }

  private deliver(data: Uint8Array, off: number, capLen: number, wireLen: number, tsUs: number): void {
    if (capLen > 0) {
      const kept = this.hash === null ? this.appendPrefix(data, off, capLen) : 0;
      if (kept < capLen) {
        if (this.hash === null) {
          this.hash = new StreamHash();
          this.hashPrefix(this.hash);
        }
        this.hash.update(data, off + kept, capLen - kept);
      }
      if (this.anchorSet !== null) this.anchorSet.update(data, off, capLen, this.streamBytes + this.gapBytes, tsUs);
      this.streamBytes += capLen;
      if (this.tailRing !== null) this.appendTail(data, off, capLen);
      if (this.firstUs < 0) this.firstUs = tsUs;
      this.lastUs = tsUs;
    }
    if (wireLen > capLen) this.recordGap(wireLen - capLen);
    this.nextSeq = (this.nextSeq + wireLen) >>> 0;
  }

  private recordGap(length: number): void {
    // Bytes before a hole are no longer the stream's last ones.
    this.tailLen = 0;
    this.anchorSet?.gap();
    this.gaps++;
    this.gapBytes += length;
    if (this.gapList.length < this.limits.maxGapList) {
      if (this.gapList === NO_GAPS) this.gapList = [];
      this.gapList.push({ offset: this.streamBytes + this.gapBytes - length, length });
    }
  }

  /**
   * Ready for another stream, after release() (the flow table reuses reassemblers: thousands of
   * concurrent flows otherwise promote two of them each to the old generation). The gap list
   * handed out stays with its flow.
   */
  reset(): void {
    this.started = false;
    this.tailRing = null;
    this.tailAt = this.tailLen = 0;
    this.anchorSet = null;
    this.nextSeq = 0;
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.hash = null;
    this.prefixHead = this.prefixTail = -1;
    this.prefixLen = 0;
    this.streamBytes = 0;
    this.gaps = 0;
    this.gapBytes = 0;
    this.gapList = NO_GAPS;
    this.retransmissions = 0;
    this.outOfOrder = 0;
    this.firstUs = -0.5;
    this.lastUs = -0.5;
  }

  /**
   * The stream's last bytes, up to `tailBytes`, for a stream joined mid-way (empty for one that
   * began in the capture: its prefix and digest say all, or after a gap at its very end).
   */
  tail(): Uint8Array {
    const ring = this.tailRing;
    if (ring === null || this.tailLen === 0) return EMPTY;
    const n = this.tailLen;
    const out = new Uint8Array(n);
    const start = (this.tailAt - n + ring.length) % ring.length;
    const first = Math.min(n, ring.length - start);
    out.set(ring.subarray(start, start + first), 0);
    if (first < n) out.set(ring.subarray(0, n - first), first);
    return out;
  }

  /** The stream's content-defined anchors, for a stream joined mid-way (null otherwise). */
  anchors(): StreamAnchors | null {
    return this.anchorSet !== null && this.anchorSet.count > 0 ? this.anchorSet : null;
  }

  private appendTail(data: Uint8Array, off: number, len: number): void {
    const ring = this.tailRing!;
    const size = ring.length;
    // Only the last `size` bytes of a long segment can stay.
    if (len > size) {
      off += len - size;
      len = size;
    }
    let at = this.tailAt;
    const first = Math.min(len, size - at);
    ring.set(data.subarray(off, off + first), at);
    if (first < len) ring.set(data.subarray(off + first, off + len), 0);
    at += len;
    if (at >= size) at -= size;
    this.tailAt = at;
    this.tailLen = Math.min(size, this.tailLen + len);
  }

  /** Appends what fits of data[off, off+len) to the prefix; returns the number of bytes kept. */
  private appendPrefix(data: Uint8Array, off: number, len: number): number {
    const room = this.limits.prefixBytes - this.prefixLen;
    if (room <= 0) return 0;
    const n = Math.min(room, len);
    const pool = this.pool;
    let done = 0;
    while (done < n) {
      let used = this.prefixLen % CHUNK;
      if (used === 0 && (this.prefixTail < 0 || this.prefixLen > 0)) {
        // Current chunk full (or none yet): link a fresh one.
        const c = pool.alloc();
        if (this.prefixTail >= 0) pool.next[this.prefixTail] = c;
        else this.prefixHead = c;
        this.prefixTail = c;
        used = 0;
      }
      const tail = this.prefixTail;
      const bytes = pool.pages[tail >> PAGE_SHIFT];
      const m = Math.min(CHUNK - used, n - done);
      let p = (tail & PAGE_MASK) * CHUNK + used;
      // Small pieces: a byte loop beats set(subarray()), which allocates a view.
      if (m <= 64) for (let i = off + done, end = off + done + m; i < end; i++) bytes[p++] = data[i];
      else bytes.set(data.subarray(off + done, off + done + m), p);
      done += m;
      this.prefixLen += m;
    }
    return n;
  }
}

const scratchHash = new StreamHash();
