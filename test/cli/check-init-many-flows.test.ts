/**
 * `natflow check --init` on a capture with tens of thousands of unpaired flows (found by fuzzing
 * with a crafted pcapng): naming the interfaces of the unpaired flows searched every flow for each
 * one, so the time grew with the square of the flow count (65k flows: 30 s of CPU). The capture
 * is hand-built, one UDP flow per packet on a single interface, so none can be paired.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateExpectations } from '../../src/check/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { tempDir } from '../helpers/temp-dir.js';

const FLOWS = 40_000;

function block(type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const len = 12 + padded.length;
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(len, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(len, 0);
  return Buffer.concat([head, padded, tail]);
}

/** SHB, one Ethernet IDB, then one UDP datagram per source address/port: FLOWS distinct flows. */
function manyFlowsCapture(): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeInt32LE(-1, 8);
  shb.writeInt32LE(-1, 12);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(1, 0);
  const parts = [block(0x0a0d0d0a, shb), block(1, idb)];
  for (let i = 0; i < FLOWS; i++) {
    const frame = Buffer.alloc(14 + 28);
    frame.fill(0x02, 0, 6);
    frame.fill(0x04, 6, 12);
    frame.writeUInt16BE(0x0800, 12);
    frame.writeUInt8(0x45, 14);
    frame.writeUInt16BE(28, 16);
    frame.writeUInt8(64, 22);
    frame.writeUInt8(17, 23);
    frame.set([10, 0, i >> 8, i & 0xff], 26);
    frame.set([10, 1, 0, 1], 30);
    frame.writeUInt16BE(1024 + (i % 50_000), 34);
    frame.writeUInt16BE(53, 36);
    frame.writeUInt16BE(8, 38);
    const epb = Buffer.alloc(20);
    const ts = 1_700_000_000_000_000 + i * 1000;
    epb.writeUInt32LE(Math.floor(ts / 2 ** 32), 4);
    epb.writeUInt32LE(ts % 2 ** 32, 8);
    epb.writeUInt32LE(frame.length, 12);
    epb.writeUInt32LE(frame.length, 16);
    parts.push(block(6, Buffer.concat([epb, frame])));
  }
  return Buffer.concat(parts);
}

describe('check --init on many unpaired flows', () => {
  it('names their interface in time linear in the flow count', async () => {
    const file = path.join(tempDir('natflow-init-'), 'many.pcapng');
    writeFileSync(file, manyFlowsCapture());
    const result = await analyzeCaptures([file]);
    expect(result.errors).toEqual([]);
    expect(result.analysis.unpaired.length).toBe(FLOWS);

    const before = process.cpuUsage();
    const text = generateExpectations(result.analysis, { captures: [file], version: 'test' });
    const used = process.cpuUsage(before);
    expect(text).toContain(`# ${FLOWS} flow(s) could not be paired (on many); uncomment to require none.`);
    // The quadratic scan took ~13 s of CPU here; a lookup table takes milliseconds.
    expect((used.user + used.system) / 1000).toBeLessThan(2000);
  }, 120_000);
});
