import type { FormatReader, ReaderContext, RecordCallback } from './reader-context.js';
import { fail, MAX_CAPLEN, u16, u32, u32be, u32le } from './reader-context.js';
import { optionString, walkOptions } from './pcapng-options.js';
import { DEFAULT_TS_RESOLUTION, setPcapngTime, tsResolution, type TsResolution } from './timestamp.js';
import type { CaptureInterface } from './types.js';

export const SHB_TYPE = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const PB = 2; // obsolete Packet Block
const SPB = 3;
const EPB = 6;

/** Blocks we must hold whole to parse (SHB, IDB, packets): a packet at the caplen limit plus generous options. */
export const MAX_PARSED_BLOCK = 1 << 20;

/** Interfaces are kept for the whole file; a cap stops a file of nothing but IDBs growing memory. */
export const MAX_INTERFACES = 1 << 16;

interface SectionIface {
  iface: CaptureInterface;
  res: TsResolution;
  offsetSec: number;
  /** IDB snaplen; 0 = no limit. */
  snaplen: number;
}

const BLOCK_NAMES: Record<number, string> = {
  [SHB_TYPE]: 'Section Header Block',
  [IDB]: 'Interface Description Block',
  [PB]: 'Packet Block',
  [SPB]: 'Simple Packet Block',
  4: 'Name Resolution Block',
  5: 'Interface Statistics Block',
  [EPB]: 'Enhanced Packet Block',
  0x0a: 'Decryption Secrets Block',
  0xbad: 'Custom Block',
  0x40000bad: 'Custom Block',
};

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;
}

export class PcapngReader implements FormatReader {
  private le = true;
  private section = -1;
  private ifaces: SectionIface[] = [];

  private constructor(private readonly ctx: ReaderContext) {}

  /** Reads the first Section Header Block (the caller has matched its type). */
  static async open(ctx: ReaderContext): Promise<PcapngReader> {
    const r = new PcapngReader(ctx);
    const info = ctx.info;
    info.format = 'pcapng';
    await r.block(() => undefined);
    info.byteOrder = r.le ? 'le' : 'be';
    info.version = '1.0';
    return r;
  }

  /** Records delivered by the last scan. */
  private scanned = 0;

  /**
   * The per-record path, synchronous so V8 optimizes the loop as a whole: well-formed EPBs
   * that are wholly in the buffer. Anything else, including every malformed case, is left to
   * block(), which reports it. Returns the position after the last block consumed.
   */
  private scan(onRecord: RecordCallback, budget: number): number {
    const src = this.ctx.src;
    const rec = this.ctx.rec;
    const info = this.ctx.info;
    const b = src.buf;
    const e = src.end;
    const base = src.at(0);
    const le = this.le;
    const ifaces = this.ifaces;
    let p = src.start;
    let n = 0;
    while (n < budget && e - p >= 32) {
      const type = le ? u32le(b, p) : u32be(b, p);
      if (type !== EPB) break;
      const blen = le ? u32le(b, p + 4) : u32be(b, p + 4);
      if (blen > e - p || blen < 32 || (blen & 3) !== 0) break;
      if ((le ? u32le(b, p + blen - 4) : u32be(b, p + blen - 4)) !== blen) break;
      const id = le ? u32le(b, p + 8) : u32be(b, p + 8);
      const caplen = le ? u32le(b, p + 20) : u32be(b, p + 20);
      if (id >= ifaces.length || caplen > blen - 32 || caplen > MAX_CAPLEN) break;
      const si = ifaces[id];
      if (si.snaplen !== 0 && caplen > si.snaplen) break;
      rec.offset = base + p;
      rec.iface = si.iface;
      rec.linktype = si.iface.linktype;
      rec.len = le ? u32le(b, p + 24) : u32be(b, p + 24);
      rec.setBytes(b, p + 28, caplen);
      setPcapngTime(rec, le ? u32le(b, p + 12) : u32be(b, p + 12), le ? u32le(b, p + 16) : u32be(b, p + 16), si.res, si.offsetSec);
      onRecord(rec, info);
      p += blen;
      n++;
    }
    this.scanned = n;
    return p;
  }

  async run(onRecord: RecordCallback, budget: number): Promise<boolean> {
    const ctx = this.ctx;
    const src = ctx.src;
    let n = 0;
    for (;;) {
      src.start = this.scan(onRecord, budget - n);
      n += this.scanned;
      ctx.records += this.scanned;
      if (n >= budget) return false;
      const r = await this.block(onRecord);
      if (r === 'eof') return true;
      if (r === 'record') n++; // block() has counted it in ctx.records
    }
  }

  /** Reads one block of any kind at the current position. */
  private async block(onRecord: RecordCallback): Promise<'eof' | 'record' | 'other'> {
    const ctx = this.ctx;
    const src = ctx.src;
    const at = src.offset;
    if (!(await src.ensure(8))) {
      if (src.available === 0) return 'eof';
      fail(ctx, at, `truncated block header (${src.available} of 8 bytes)`);
    }
    let type = u32(src.buf, src.start, this.le);
    if (type === SHB_TYPE) {
      // A new section may switch byte order: the byte-order magic decides how to read the length.
      if (!(await src.ensure(12))) fail(ctx, at, `truncated Section Header Block (${src.available} of 12 bytes)`);
      const bom = u32le(src.buf, src.start + 8);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (u32be(src.buf, src.start + 8) === BYTE_ORDER_MAGIC) this.le = false;
      else fail(ctx, at + 8, `bad pcapng byte-order magic 0x${bom.toString(16).padStart(8, '0')}`);
    } else if (this.section < 0) {
      fail(ctx, at, 'pcapng file does not start with a Section Header Block');
    }
    const le = this.le;
    type = u32(src.buf, src.start, le);
    const blen = u32(src.buf, src.start + 4, le);
    const name = blockName(type);
    if (blen < 12) fail(ctx, at, `${name} total length ${blen} is less than 12`);
    if ((blen & 3) !== 0) fail(ctx, at, `${name} total length ${blen} is not a multiple of 4`);

    const parsed = type === SHB_TYPE || type === IDB || type === EPB || type === SPB || type === PB;
    if (!parsed) {
      // NRB, ISB, DSB, custom and unknown blocks: skipped by length without buffering them.
      src.skip(blen - 4);
      if (!(await src.ensure(4))) fail(ctx, at, `truncated ${name} (total length ${blen}, input ends inside it)`);
      const trailer = u32(src.buf, src.start, le);
      if (trailer !== blen) this.lengthMismatch(at, blen, trailer);
      src.skip(4);
      return 'other';
    }
    if (blen > MAX_PARSED_BLOCK) {
      fail(ctx, at, `${name} total length ${blen} exceeds the limit of ${MAX_PARSED_BLOCK} bytes`);
    }
    if (!(await src.ensure(blen))) {
      fail(ctx, at, `truncated ${name} (total length ${blen}, only ${src.available} bytes left)`);
    }
    const b = src.buf;
    const s = src.start;
    const trailer = u32(b, s + blen - 4, le);
    if (trailer !== blen) this.lengthMismatch(at, blen, trailer);
    let result: 'record' | 'other' = 'other';
    switch (type) {
      case SHB_TYPE:
        this.sectionHeader(b, s, blen, at);
        break;
      case IDB:
        this.interfaceDescription(b, s, blen, at);
        break;
      default:
        this.packet(type, b, s, blen, at, onRecord);
        result = 'record';
    }
    src.skip(blen);
    return result;
  }

  private lengthMismatch(at: number, header: number, trailer: number): never {
    // libpcap's wording, so users searching for it find the same cause.
    fail(this.ctx, at, `block total length in header ${header} and trailer ${trailer} don't match`);
  }

  private sectionHeader(b: Uint8Array, s: number, blen: number, at: number): void {
    const ctx = this.ctx;
    if (blen < 28) fail(ctx, at, `Section Header Block total length ${blen} is less than 28`);
    const major = u16(b, s + 12, this.le);
    const minor = u16(b, s + 14, this.le);
    if (major !== 1 || minor !== 0) fail(ctx, at + 12, `unsupported pcapng savefile version ${major}.${minor}`);
    const bad = walkOptions(b, s + 24, s + blen - 4, this.le, () => undefined);
    if (bad) fail(ctx, at + (bad.pos - s), bad.reason);
    this.section++;
    this.ifaces = [];
  }

  private interfaceDescription(b: Uint8Array, s: number, blen: number, at: number): void {
    const ctx = this.ctx;
    const le = this.le;
    if (blen < 20) fail(ctx, at, `Interface Description Block total length ${blen} is less than 20`);
    if (ctx.info.interfaces.length >= MAX_INTERFACES) fail(ctx, at, `more than ${MAX_INTERFACES} interfaces in one file`);
    const iface: CaptureInterface = {
      index: ctx.info.interfaces.length,
      section: this.section,
      name: null,
      description: null,
      linktype: u16(b, s + 8, le),
      snaplen: u32(b, s + 12, le),
    };
    let res = DEFAULT_TS_RESOLUTION;
    let offsetSec = 0;
    const bad = walkOptions(b, s + 16, s + blen - 4, le, (code, v, len) => {
      const optAt = at + (v - 4 - s);
      switch (code) {
        case 2:
          iface.name = optionString(b, v, len);
          break;
        case 3:
          iface.description = optionString(b, v, len);
          break;
        case 9:
          if (len !== 1) ctx.warnings.add(optAt, `if_tsresol option of length ${len} ignored (must be 1)`);
          else {
            res = tsResolution(b[v]);
            iface.tsresol = b[v];
          }
          break;
        case 14:
          if (len !== 8) ctx.warnings.add(optAt, `if_tsoffset option of length ${len} ignored (must be 8)`);
          else {
            // Signed 64-bit seconds; exact as a double for any plausible offset.
            const hi = le ? u32le(b, v + 4) | 0 : u32be(b, v) | 0;
            const lo = le ? u32le(b, v) : u32be(b, v + 4);
            offsetSec = hi * 4294967296 + lo;
            iface.tsoffset = offsetSec;
          }
          break;
      }
    });
    if (bad) fail(ctx, at + (bad.pos - s), bad.reason);
    this.ifaces.push({ iface, res, offsetSec, snaplen: iface.snaplen });
    ctx.info.interfaces.push(iface);
    ctx.onInterface?.(iface);
  }

  private packet(type: number, b: Uint8Array, s: number, blen: number, at: number, onRecord: RecordCallback): void {
    const ctx = this.ctx;
    const le = this.le;
    const rec = ctx.rec;
    const name = blockName(type);
    let id: number;
    let caplen: number;
    let dataAt: number;
    if (type === SPB) {
      if (blen < 16) fail(ctx, at, `${name} total length ${blen} is less than 16`);
      id = 0;
      rec.len = u32(b, s + 8, le);
      dataAt = s + 12;
      // No captured length field: it is the original length cut to the snaplen and to the block.
      caplen = Math.min(rec.len, blen - 16);
      if (this.ifaces.length > 0 && this.ifaces[0].snaplen !== 0) caplen = Math.min(caplen, this.ifaces[0].snaplen);
      rec.tsSec = 0;
      rec.tsNsec = 0;
    } else {
      if (blen < 32) fail(ctx, at, `${name} total length ${blen} is less than 32`);
      id = type === PB ? u16(b, s + 8, le) : u32(b, s + 8, le);
      caplen = u32(b, s + 20, le);
      rec.len = u32(b, s + 24, le);
      dataAt = s + 28;
      if (caplen > blen - 32) {
        fail(ctx, at + 20, `${name} captured length ${caplen} exceeds the ${blen - 32} bytes of data in the block`);
      }
    }
    if (id >= this.ifaces.length) {
      fail(ctx, at + 8, `${name} refers to interface ${id}, but section ${this.section} defines ${this.ifaces.length}`);
    }
    if (caplen > MAX_CAPLEN) fail(ctx, at + 20, `${name} captured length ${caplen} exceeds the maximum of ${MAX_CAPLEN}`);
    const si = this.ifaces[id];
    if (si.snaplen !== 0 && caplen > si.snaplen) {
      ctx.warnings.add(at, `${name} captured length ${caplen} exceeds the interface snaplen ${si.snaplen}`);
    }
    if (type !== SPB) setPcapngTime(rec, u32(b, s + 12, le), u32(b, s + 16, le), si.res, si.offsetSec);
    rec.offset = at;
    rec.iface = si.iface;
    rec.linktype = si.iface.linktype;
    rec.setBytes(b, dataAt, caplen);
    onRecord(rec, ctx.info);
    ctx.records++;
  }
}
