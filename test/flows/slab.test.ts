import { describe, expect, it } from 'vitest';
import { Slab } from '../../src/flows/flow-storage.js';

describe('Slab (finalized flows\' bytes)', () => {
  it('a large item gets its own buffer and the shared slab resumes after it, keeping its free tail', () => {
    const s = new Slab();
    const a = s.reserve(100);
    const shared = s.buf;
    const big = s.reserve(100_000);
    expect(s.buf).not.toBe(shared);
    expect(big).toBe(0);
    expect(s.buf.byteLength).toBeGreaterThanOrEqual(100_000);
    const b = s.reserve(100);
    // Back in the first buffer, right after the first item: nothing was abandoned.
    expect(s.buf).toBe(shared);
    expect(b).toBe(a + 104);
    s.cols.u8[b] = 7;
    expect(new Uint8Array(shared)[b]).toBe(7);
  });

  it('bytes reserved for many mixed-size items stay close to what they hold', () => {
    const s = new Slab();
    const buffers = new Set<ArrayBuffer>();
    let held = 0;
    for (let i = 0; i < 2000; i++) {
      const n = i % 3 === 0 ? 40_000 : 700;
      s.reserve(n);
      buffers.add(s.buf);
      held += n;
    }
    let allocated = 0;
    for (const b of buffers) allocated += b.byteLength;
    expect(allocated).toBeLessThan(1.2 * held + (1 << 20));
  });
});
