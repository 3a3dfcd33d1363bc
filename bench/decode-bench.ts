import { statSync } from 'node:fs';
import { readCapture } from '../src/read/index.js';
import { Packet, decodeRecord } from '../src/decode/index.js';

export interface DecodeBenchResult {
  path: string;
  packets: number;
  bytes: number;
  seconds: number;
  mbPerSec: number;
  packetsPerSec: number;
  /** Packets that carried at least one decoder warning. */
  warned: number;
}

/** Reads `path` with the real reader and fully decodes every packet; throughput of both together. */
export async function benchDecode(path: string): Promise<DecodeBenchResult> {
  const pkt = new Packet();
  let packets = 0;
  let warned = 0;
  const start = process.hrtime.bigint();
  const res = await readCapture(path, (rec) => {
    decodeRecord(pkt, rec);
    packets++;
    if (pkt.warnings.length > 0) warned++;
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (res.error) throw res.error;
  const bytes = res.bytesRead > 0 ? res.bytesRead : statSync(path).size;
  return {
    path,
    packets,
    bytes,
    seconds,
    mbPerSec: bytes / 1e6 / seconds,
    packetsPerSec: packets / seconds,
    warned,
  };
}
