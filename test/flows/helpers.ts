import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readCapture } from '../../src/read/index.js';
import { decodeRecord } from '../../src/decode/index.js';
import { Packet } from '../../src/decode/packet.js';
import { repoRoot } from '../helpers/paths.js';

export const oracles = path.resolve(repoRoot, 'test/flows/oracles');

/** Calls fn for every decoded packet (1-based frame number), like tshark's frame loop. */
export async function eachPacket(file: string, fn: (pkt: Packet, frame: number) => void): Promise<number> {
  const pkt = new Packet();
  let frame = 0;
  const res = await readCapture(file, (rec) => {
    frame++;
    decodeRecord(pkt, rec);
    fn(pkt, frame);
  });
  if (res.error) throw res.error;
  return frame;
}

export function readTsv(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}
