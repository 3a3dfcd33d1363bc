import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchRead } from '../../bench/read-bench.js';
import { readCapture } from '../../src/read/index.js';
import { manifest } from '../helpers/pcap-manifest.js';

const row = manifest().find((r) => r.path === 'zeek/tcp/timestamp.pcap')!;

describe('bench/read-bench.ts', () => {
  it('measures both walks over the whole file', async () => {
    const r = await benchRead(row.abs, { repeat: 1 });
    const size = statSync(row.abs).size;
    expect(r.bareWalk?.records).toBe(row.ownWalk);
    expect(r.readCapture.records).toBe(row.ownWalk);
    expect(r.bareWalk?.bytes).toBe(size);
    expect(r.readCapture.bytes).toBe(size);
    expect(r.readCapture.mbPerSec).toBeGreaterThan(0);
    expect(r.readCapture.recordsPerSec).toBeGreaterThan(0);
  });
});

describe('warning cap', () => {
  it('a file with a bad timestamp in every record keeps 100 warnings and counts the rest', async () => {
    const bytes = Uint8Array.from(readFileSync(row.abs));
    const dv = new DataView(bytes.buffer);
    let n = 0;
    for (let p = 24; p + 16 <= bytes.length; p += 16 + dv.getUint32(p + 8, true)) {
      dv.setUint32(p + 4, 0xffffffff, true);
      n++;
    }
    expect(n).toBe(row.ownWalk);
    const dir = mkdtempSync(path.join(tmpdir(), 'natflow-warn-'));
    try {
      const f = path.join(dir, 'bad-ts.pcap');
      writeFileSync(f, bytes);
      const res = await readCapture(f, () => undefined);
      expect(res.error).toBeNull();
      expect(res.records).toBe(n);
      expect(res.warnings).toHaveLength(101);
      expect(res.warnings[100].message).toBe(`${n - 100} more warnings not shown`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
