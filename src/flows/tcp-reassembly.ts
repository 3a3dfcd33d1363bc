/**
 * One direction of a TCP stream, reassembled: payload delivered in sequence order with
 * retransmissions and overlaps resolved (first copy wins), holes recorded as gaps. Only a bounded
 * prefix is kept; the whole stream goes through a SHA-1 so two captures of one stream can be
 * compared without keeping either.
 */
import { createHash, type Hash } from 'node:crypto';
import type { StreamGap } from './flow.js';

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
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  prefixBytes: 65536,
  maxPendingSegments: 64,
  maxPendingBytes: 1 << 20,
  maxGapList: 32,
};

const EMPTY = new Uint8Array(0);

export class StreamReassembler {
  private started = false;
  /** Raw sequence number of the next byte expected. */
  private nextSeq = 0;
  private pending: PendingSegment[] = [];
  private pendingBytes = 0;
  private hash: Hash | null = null;
  private prefixBuf: Uint8Array = EMPTY;
  private prefixLen = 0;
  private readonly limits: ReassemblyLimits;

  streamBytes = 0;
  gaps = 0;
  gapBytes = 0;
  gapList: StreamGap[] = [];
  retransmissions = 0;
  outOfOrder = 0;
  firstDataUs: number | null = null;
  lastDataUs: number | null = null;

  constructor(limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS) {
    this.limits = limits;
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
    }
    const delta = (seq - this.nextSeq) | 0;
    if (delta + wireLen <= 0) {
      this.retransmissions++;
      return 'retransmission';
    }
    if (delta <= 0) {
      const skip = -delta;
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

  /** End of stream (FIN, RST or end of capture): whatever is buffered is delivered around its gaps. */
  flush(tsUs: number): void {
    while (this.pending.length > 0) this.skipToPending(tsUs);
  }

  get prefix(): Uint8Array {
    return this.prefixBuf.subarray(0, this.prefixLen);
  }

  /** Hex SHA-1 of the delivered stream; finalizes the hash (call once, at the end). */
  digest(): string | null {
    if (this.hash === null) return null;
    const d = this.hash.digest('hex');
    this.hash = null;
    return d;
  }

  /** Drops the buffers (the prefix is returned as an exact-size copy first). */
  release(): Uint8Array {
    const prefix = this.prefixBuf.slice(0, this.prefixLen);
    this.prefixBuf = EMPTY;
    this.pending = [];
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
      const skip = -d;
      if (skip >= p.wireLen) continue;
      const capSkip = Math.min(skip, p.bytes.length);
      this.deliver(p.bytes, capSkip, p.bytes.length - capSkip, p.wireLen - skip, tsUs);
    }
  }

  private deliver(data: Uint8Array, off: number, capLen: number, wireLen: number, tsUs: number): void {
    if (capLen > 0) {
      const chunk = data.subarray(off, off + capLen);
      if (this.hash === null) this.hash = createHash('sha1');
      this.hash.update(chunk);
      this.appendPrefix(chunk);
      this.streamBytes += capLen;
      if (this.firstDataUs === null) this.firstDataUs = tsUs;
      this.lastDataUs = tsUs;
    }
    if (wireLen > capLen) this.recordGap(wireLen - capLen);
    this.nextSeq = (this.nextSeq + wireLen) >>> 0;
  }

  private recordGap(length: number): void {
    this.gaps++;
    this.gapBytes += length;
    if (this.gapList.length < this.limits.maxGapList) {
      this.gapList.push({ offset: this.streamBytes + this.gapBytes - length, length });
    }
  }

  private appendPrefix(chunk: Uint8Array): void {
    const room = this.limits.prefixBytes - this.prefixLen;
    if (room <= 0) return;
    const n = Math.min(room, chunk.length);
    if (this.prefixLen + n > this.prefixBuf.length) {
      let cap = Math.max(256, this.prefixBuf.length * 2);
      while (cap < this.prefixLen + n) cap *= 2;
      const next = new Uint8Array(Math.min(cap, this.limits.prefixBytes));
      next.set(this.prefixBuf.subarray(0, this.prefixLen));
      this.prefixBuf = next;
    }
    this.prefixBuf.set(chunk.subarray(0, n), this.prefixLen);
    this.prefixLen += n;
  }
}
