import { ChunkedFileWriter } from './chunked-file-writer.js';

/**
 * Minimal pcapng writer (little endian, one section, microsecond timestamps) for generated
 * multi-interface benchmark captures: one IDB per named interface, EPBs after.
 */
export class PcapngWriter extends ChunkedFileWriter {
  constructor(path: string, interfaces: { name: string; linktype: number }[]) {
    super(path);
    const shb = Buffer.alloc(28);
    shb.writeUInt32LE(0x0a0d0d0a, 0);
    shb.writeUInt32LE(28, 4);
    shb.writeUInt32LE(0x1a2b3c4d, 8);
    shb.writeUInt16LE(1, 12);
    shb.writeUInt16LE(0, 14);
    shb.writeInt32LE(-1, 16);
    shb.writeInt32LE(-1, 20);
    shb.writeUInt32LE(28, 24);
    this.put(shb);
    for (const i of interfaces) {
      const name = Buffer.from(i.name, 'utf8');
      const namePad = (name.length + 3) & ~3;
      const optLen = 4 + namePad + 4; // if_name + opt_endofopt
      const total = 20 + optLen;
      const idb = Buffer.alloc(total);
      idb.writeUInt32LE(1, 0);
      idb.writeUInt32LE(total, 4);
      idb.writeUInt16LE(i.linktype, 8);
      idb.writeUInt32LE(262144, 12);
      idb.writeUInt16LE(2, 16);
      idb.writeUInt16LE(name.length, 18);
      name.copy(idb, 20);
      idb.writeUInt32LE(total, total - 4);
      this.put(idb);
    }
  }

  private put(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    this.bytesWritten += b.length;
  }

  write(ifaceId: number, tsUs: number, frame: Uint8Array, frameLen = frame.length): void {
    const pad = (frameLen + 3) & ~3;
    const total = 32 + pad;
    this.reserve(total);
    const b = this.buf;
    const p = this.pos;
    const hi = Math.floor(tsUs / 4294967296);
    const lo = tsUs - hi * 4294967296;
    b.writeUInt32LE(6, p);
    b.writeUInt32LE(total, p + 4);
    b.writeUInt32LE(ifaceId, p + 8);
    b.writeUInt32LE(hi, p + 12);
    b.writeUInt32LE(lo >>> 0, p + 16);
    b.writeUInt32LE(frameLen, p + 20);
    b.writeUInt32LE(frameLen, p + 24);
    b.set(frame.subarray(0, frameLen), p + 28);
    b.fill(0, p + 28 + frameLen, p + 28 + pad);
    b.writeUInt32LE(total, p + 28 + pad);
    this.pos += total;
    this.bytesWritten += total;
    this.records++;
  }
}
