import type { FormatReader, ReaderContext, RecordCallback } from './reader-context.js';
import { fail, MAX_CAPLEN, u16, u32, u32be, u32le } from './reader-context.js';
import type { CaptureInterface } from './types.js';

/** Classic pcap magics as read little-endian from the first four bytes. */
export const PCAP_MAGICS: ReadonlyMap<number, { le: boolean; nano: boolean; modified: boolean }> = new Map([
  [0xa1b2c3d4, { le: true, nano: false, modified: false }],
  [0xd4c3b2a1, { le: false, nano: false, modified: false }],
  [0xa1b23c4d, { le: true, nano: true, modified: false }],
  [0x4d3cb2a1, { le: false, nano: true, modified: false }],
  // Alexey Kuznetzov's patched libpcap: 8 more bytes per record (ifindex, protocol, pkt_type).
  [0xa1b2cd34, { le: true, nano: false, modified: true }],
  [0x34cdb2a1, { le: false, nano: false, modified: true }],
]);

const FILE_HEADER = 24;
// libpcap's LT_* macros (pcap-common.h): the upper 16 bits of the header's link type field.
const LT_FCS_LENGTH_PRESENT = 0x04000000;
const LT_RESERVED1 = 0x03ff0000;

export class PcapReader implements FormatReader {
  private readonly hdrLen: number;
  private readonly fracLimit: number;
  private readonly fracToNs: number;
  /** libpcap's adjusted snapshot: 0 or oversize snaplens mean "the maximum". */
  private readonly snapshot: number;
  private readonly iface: CaptureInterface;

  private constructor(
    private readonly ctx: ReaderContext,
    private readonly le: boolean,
    nano: boolean,
    modified: boolean,
    snaplen: number,
    iface: CaptureInterface,
  ) {
    this.hdrLen = modified ? 24 : 16;
    this.fracLimit = nano ? 1_000_000_000 : 1_000_000;
    this.fracToNs = nano ? 1 : 1000;
    this.snapshot = snaplen === 0 || snaplen > MAX_CAPLEN ? MAX_CAPLEN : snaplen;
    this.iface = iface;
  }

  /** Reads and checks the 24-byte file header (the caller has matched the magic). */
  static async open(ctx: ReaderContext, magic: number): Promise<PcapReader> {
    const kind = PCAP_MAGICS.get(magic)!;
    const src = ctx.src;
    if (!(await src.ensure(FILE_HEADER))) {
      fail(ctx, 0, `truncated pcap file header (${src.available} of ${FILE_HEADER} bytes)`);
    }
    const b = src.buf;
    const s = src.start;
    const le = kind.le;
    const major = u16(b, s + 4, le);
    const minor = u16(b, s + 6, le);
    // Same rule and wording as libpcap's sf-pcap.c: 2.0-2.4 (and DG/UX's 543.0) only.
    if (!((major === 2 && minor <= 4) || (major === 543 && minor === 0))) {
      fail(ctx, 4, `unsupported pcap savefile version ${major}.${minor}`);
    }
    const snaplen = u32(b, s + 16, le);
    const rawLinktype = u32(b, s + 20, le);
    if ((rawLinktype & LT_RESERVED1) !== 0) {
      const reserved = (rawLinktype & LT_RESERVED1) >>> 0;
      fail(ctx, 20, `savefile linktype reserved field not zero (0x${reserved.toString(16).padStart(8, '0')})`);
    }
    const iface: CaptureInterface = {
      index: 0,
      section: 0,
      name: null,
      description: null,
      linktype: rawLinktype & 0xffff,
      snaplen,
    };
    if ((rawLinktype & LT_FCS_LENGTH_PRESENT) !== 0) iface.fcsLength = 2 * (rawLinktype >>> 28);
    const info = ctx.info;
    info.format = 'pcap';
    info.byteOrder = le ? 'le' : 'be';
    info.tsPrecision = kind.nano ? 'ns' : 'us';
    info.version = `${major}.${minor}`;
    info.interfaces.push(iface);
    src.skip(FILE_HEADER);
    ctx.onInterface?.(iface);
    return new PcapReader(ctx, le, kind.nano, kind.modified, snaplen, iface);
  }

  /** Records delivered by the last scan. */
  private scanned = 0;

  // The per-record path: two copies so each reads its byte order without a branch per field,
  // synchronous so V8 optimizes the loop as a whole. Returns the position after the last
  // complete record in the buffer.
  private scanLE(onRecord: RecordCallback, budget: number): number {
    const src = this.ctx.src;
    const rec = this.ctx.rec;
    const info = this.ctx.info;
    const H = this.hdrLen;
    const fracLimit = this.fracLimit;
    const fracToNs = this.fracToNs;
    const snapshot = this.snapshot;
    const b = src.buf;
    const e = src.end;
    const base = src.at(0);
    let p = src.start;
    let n = 0;
    while (n < budget && e - p >= H) {
      const caplen = u32le(b, p + 8);
      if (caplen > MAX_CAPLEN || e - p - H < caplen) break;
      const frac = u32le(b, p + 4);
      rec.offset = base + p;
      rec.len = u32le(b, p + 12);
      rec.setBytes(b, p + H, caplen);
      if (frac < fracLimit) {
        rec.tsSec = u32le(b, p);
        rec.tsNsec = frac * fracToNs;
      } else this.badFraction(base + p, u32le(b, p), frac);
      if (caplen > snapshot) this.overSnaplen(base + p, caplen);
      onRecord(rec, info);
      p += H + caplen;
      n++;
    }
    this.scanned = n;
    return p;
  }

  private scanBE(onRecord: RecordCallback, budget: number): number {
    const src = this.ctx.src;
    const rec = this.ctx.rec;
    const info = this.ctx.info;
    const H = this.hdrLen;
    const fracLimit = this.fracLimit;
    const fracToNs = this.fracToNs;
    const snapshot = this.snapshot;
    const b = src.buf;
    const e = src.end;
    const base = src.at(0);
    let p = src.start;
    let n = 0;
    while (n < budget && e - p >= H) {
      const caplen = u32be(b, p + 8);
      if (caplen > MAX_CAPLEN || e - p - H < caplen) break;
      const frac = u32be(b, p + 4);
      rec.offset = base + p;
      rec.len = u32be(b, p + 12);
      rec.setBytes(b, p + H, caplen);
      if (frac < fracLimit) {
        rec.tsSec = u32be(b, p);
        rec.tsNsec = frac * fracToNs;
      } else this.badFraction(base + p, u32be(b, p), frac);
      if (caplen > snapshot) this.overSnaplen(base + p, caplen);
      onRecord(rec, info);
      p += H + caplen;
      n++;
    }
    this.scanned = n;
    return p;
  }

  async run(onRecord: RecordCallback, budget: number): Promise<boolean> {

    const ctx = this.ctx;
    const src = ctx.src;
    const rec = ctx.rec;
    const le = this.le;
    const H = this.hdrLen;
    rec.iface = this.iface;
    rec.linktype = this.iface.linktype;
    let n = 0;
    let counted = 0;
    for (;;) {
      const left = budget - n;
      const p = le ? this.scanLE(onRecord, left) : this.scanBE(onRecord, left);
      n += this.scanned;
      src.start = p;
      ctx.records += n - counted;
      counted = n;
      if (n >= budget) return false;
      // The buffer holds no complete record: refill, or report why not.
      const at = src.offset;
      if (!(await src.ensure(H))) {
        if (src.available === 0) return true;
        fail(ctx, at, `truncated record header (${src.available} of ${H} bytes)`);
      }
      const caplen = u32(src.buf, src.start + 8, le);
      if (caplen > MAX_CAPLEN) {
        fail(ctx, at, `record captured length ${caplen} exceeds the maximum of ${MAX_CAPLEN}`);
      }
      if (!(await src.ensure(H + caplen))) {
        fail(ctx, at, `truncated record (captured length ${caplen}, only ${src.available - H} bytes of data left)`);
      }
    }
  }

  /** Out-of-range sub-second field: carried into the seconds so tsNsec stays in range. */
  private badFraction(offset: number, sec: number, frac: number): void {
    const rec = this.ctx.rec;
    const carry = Math.floor(frac / this.fracLimit);
    rec.tsSec = sec + carry;
    rec.tsNsec = (frac - carry * this.fracLimit) * this.fracToNs;
    const unit = this.fracLimit === 1_000_000 ? 'microseconds' : 'nanoseconds';
    this.ctx.warnings.add(offset, `invalid timestamp: ${frac} ${unit} is not below one second`);
  }

  private overSnaplen(offset: number, caplen: number): void {
    // libpcap accepts these too (Solaris bufmod bug); the data is kept as recorded, like tshark.
    this.ctx.warnings.add(offset, `record captured length ${caplen} exceeds the file's snaplen ${this.snapshot}`);
  }
}
