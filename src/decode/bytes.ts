/** Big-endian reads; callers check bounds first (these never throw, out-of-range bytes read as 0). */
export function u16(d: Uint8Array, off: number): number {
  return (d[off] << 8) | d[off + 1];
}

export function u32(d: Uint8Array, off: number): number {
  return ((d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3]) >>> 0;
}

export function u32le(d: Uint8Array, off: number): number {
  return (d[off] | (d[off + 1] << 8) | (d[off + 2] << 16) | (d[off + 3] << 24)) >>> 0;
}
