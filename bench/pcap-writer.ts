import { writeSync } from 'node:fs';
import { ChunkedFileWriter } from './chunked-file-writer.js';

/**
 * Minimal classic-pcap writer for generated benchmark captures (microsecond, little endian).
 */
export class PcapWriter extends ChunkedFileWriter {
  constructor(path: string, linktype: number, snaplen = 262144) {
    super(path);
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(linktype, 20);
    writeSync(this.fd, h);
    this.bytesWritten = 24;
  }

  /** Writes one record; `frame` is copied. `tsUs` is microseconds since the epoch. */
  write(tsUs: number, frame: Uint8Array, frameLen = frame.length): void {
    this.reserve(16 + frameLen);
    const sec = Math.floor(tsUs / 1e6);
    const us = Math.round(tsUs - sec * 1e6);
    this.buf.writeUInt32LE(sec, this.pos);
    this.buf.writeUInt32LE(us, this.pos + 4);
    this.buf.writeUInt32LE(frameLen, this.pos + 8);
    this.buf.writeUInt32LE(frameLen, this.pos + 12);
    this.buf.set(frame.subarray(0, frameLen), this.pos + 16);
    this.pos += 16 + frameLen;
    this.bytesWritten += 16 + frameLen;
    this.records++;
  }
}

/** RFC 1071 checksum over a byte range, so generated packets are valid for tcpdump. */
export function inetChecksum(b: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  let i = off;
  const end = off + len;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface TcpFrameSpec {
  srcMac: number; // low 32 bits of a locally administered MAC
  dstMac: number;
  src: number; // IPv4 as uint32
  dst: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  ipId: number;
  ttl: number;
  window: number;
  /** Include the 12-byte timestamps option (NOP NOP TS). */
  tsVal?: number;
  tsEcr?: number;
  /** Include MSS/SACK-perm/WS on SYNs. */
  synOptions?: boolean;
  /** MSS advertised in those SYN options (default 1460: Ethernet MTU 1500). */
  mss?: number;
  payload?: Uint8Array;
}

/** Builds Ethernet/IPv4/TCP into `out` and returns the frame length. */
export function buildTcpFrame(out: Uint8Array, s: TcpFrameSpec): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // Ethernet: 02:00:xx:xx:xx:xx
  out[0] = 0x02; out[1] = 0; dv.setUint32(2, s.dstMac >>> 0);
  out[6] = 0x02; out[7] = 0; dv.setUint32(8, s.srcMac >>> 0);
  dv.setUint16(12, 0x0800);
  let optLen = 0;
  if (s.synOptions) optLen += 8; // MSS(4) + NOP + WS(3)
  if (s.synOptions) optLen += 4; // NOP NOP SACK-perm(2)
  if (s.tsVal !== undefined) optLen += 12;
  const tcpLen = 20 + optLen;
  const payloadLen = s.payload ? s.payload.length : 0;
  const ipLen = 20 + tcpLen + payloadLen;
  const ip = 14;
  out[ip] = 0x45; out[ip + 1] = 0;
  dv.setUint16(ip + 2, ipLen);
  dv.setUint16(ip + 4, s.ipId & 0xffff);
  dv.setUint16(ip + 6, 0x4000);
  out[ip + 8] = s.ttl; out[ip + 9] = 6;
  dv.setUint16(ip + 10, 0);
  dv.setUint32(ip + 12, s.src >>> 0);
  dv.setUint32(ip + 16, s.dst >>> 0);
  dv.setUint16(ip + 10, inetChecksum(out, ip, 20));
  const t = ip + 20;
  dv.setUint16(t, s.sport); dv.setUint16(t + 2, s.dport);
  dv.setUint32(t + 4, s.seq >>> 0); dv.setUint32(t + 8, s.ack >>> 0);
  out[t + 12] = (tcpLen / 4) << 4; out[t + 13] = s.flags & 0xff;
  dv.setUint16(t + 14, s.window); dv.setUint16(t + 16, 0); dv.setUint16(t + 18, 0);
  let o = t + 20;
  if (s.synOptions) {
    out[o++] = 2; out[o++] = 4; dv.setUint16(o, s.mss ?? 1460); o += 2;
    out[o++] = 1; out[o++] = 3; out[o++] = 3; out[o++] = 7;
    out[o++] = 1; out[o++] = 1; out[o++] = 4; out[o++] = 2;
  }
  if (s.tsVal !== undefined) {
    out[o++] = 1; out[o++] = 1; out[o++] = 8; out[o++] = 10;
    dv.setUint32(o, s.tsVal >>> 0); dv.setUint32(o + 4, (s.tsEcr ?? 0) >>> 0); o += 8;
  }
  if (s.payload) out.set(s.payload, o);
  // TCP checksum over the pseudo-header keeps tcpdump quiet about bad checksums.
  let pseudo = (s.src >>> 16) + (s.src & 0xffff) + (s.dst >>> 16) + (s.dst & 0xffff) + 6 + tcpLen + payloadLen;
  dv.setUint16(t + 16, inetChecksum(out, t, tcpLen + payloadLen, pseudo));
  return 14 + ipLen;
}

/** Deterministic PRNG (mulberry32) so every bench run generates the same bytes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function ipv4(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}
