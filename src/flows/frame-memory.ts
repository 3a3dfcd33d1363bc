/**
 * The last counted packet of each live flow direction, to tell the same IP packet forwarded past
 * one capture point again (a promiscuous docker0 shows each hairpin packet three times: routed
 * out, reflected by the bridge port, routed again; docker-nat-facts §3) from a retransmission.
 * Kept in typed-array columns, a row per live flow direction, rows recycled: a dozen more fields
 * on every live flow object were measurable in the garbage collector's copying.
 */

/** Copies of one packet are microseconds apart (here, or across an old `-i any` capture's interfaces); 2 ms is generous. */
export const COPY_WINDOW_US = 2000;
/**
 * Sightings of one packet at most: ingress interface, bridge, bridge port in an old `-i any`
 * capture; routed out, reflected by the bridge port, routed again at a promiscuous docker0 (facts §3).
 */
export const MAX_SIGHTINGS = 3;

export class FrameMemory {
  private cap = 0;
  private used = 0;
  private freeSlots: number[] = [];
  // Row 2·slot + dir.
  private ipId = new Int32Array(0);
  private seq = new Float64Array(0);
  /** flags << 24 | payload length (wire). */
  private shape = new Int32Array(0);
  private ttl = new Int16Array(0);
  private seen = new Uint8Array(0);
  private us = new Float64Array(0);
  private mac = new Float64Array(0);

  /** A slot for a new live flow; both its rows start empty. */
  alloc(): number {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.next();
    this.ipId[2 * slot] = this.ipId[2 * slot + 1] = -1;
    return slot;
  }

  release(slot: number): void {
    if (slot >= 0) this.freeSlots.push(slot);
  }

  /**
   * Whether this packet is the row's last packet again: the same IP packet (IP ID, seq, flags,
   * length; Linux draws a new IP ID for every transmission, so a retransmission does not repeat
   * it) in another frame (TTL one lower, or other link-layer addresses), within 2 ms, at most
   * MAX_SIGHTINGS times. A byte-identical repeat is not: that frame was recorded twice (tshark
   * counts it twice too). Otherwise the packet becomes the one the next is compared with.
   * `ipId` < 0: the packet has no usable identity and is never a repeat.
   */
  isAgain(slot: number, dir: number, ipId: number, seq: number, flags: number, wire: number, ttl: number, tsUs: number, mac: number): boolean {
    const r = 2 * slot + dir;
    const shape = (flags << 24) | (wire & 0xffffff);
    if (
      ipId >= 0 && ipId === this.ipId[r] && seq === this.seq[r] && shape === this.shape[r] && tsUs - this.us[r] <= COPY_WINDOW_US &&
      this.seen[r] < MAX_SIGHTINGS && (Math.abs(ttl - this.ttl[r]) === 1 || (ttl === this.ttl[r] && mac !== this.mac[r]))
    ) {
      this.seen[r]++;
      this.ttl[r] = ttl;
      this.mac[r] = mac;
      return true;
    }
    this.ipId[r] = ipId < 0 ? -1 : ipId;
    this.seq[r] = seq;
    this.shape[r] = shape;
    this.ttl[r] = ttl;
    this.seen[r] = 1;
    this.us[r] = tsUs;
    this.mac[r] = mac;
    return false;
  }

  /** A new slot past the used ones, the columns doubled when full (bounded by the live flows). */
  private next(): number {
    if (this.used === this.cap) {
      const cap = Math.max(1024, this.cap * 2);
      const rows = 2 * cap;
      this.ipId = grown(this.ipId, new Int32Array(rows));
      this.seq = grown(this.seq, new Float64Array(rows));
      this.shape = grown(this.shape, new Int32Array(rows));
      this.ttl = grown(this.ttl, new Int16Array(rows));
      this.seen = grown(this.seen, new Uint8Array(rows));
      this.us = grown(this.us, new Float64Array(rows));
      this.mac = grown(this.mac, new Float64Array(rows));
      this.cap = cap;
    }
    return this.used++;
  }
}

function grown<A extends Int32Array | Float64Array | Int16Array | Uint8Array>(old: A, fresh: A): A {
  fresh.set(old as never);
  return fresh;
}
