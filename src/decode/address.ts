/**
 * Formatting of addresses held as offsets in a packet's bytes. Only called when a string is
 * really needed (printing, flow keys of new flows), never by the decoder itself.
 */
const HEX = '0123456789abcdef';

export function formatIpv4(d: Uint8Array, off: number): string {
  return `${d[off]}.${d[off + 1]}.${d[off + 2]}.${d[off + 3]}`;
}

/** RFC 5952: lower-case, leading zeros dropped, the longest run (>= 2) of zero groups as `::`. */
export function formatIpv6(d: Uint8Array, off: number): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const g = (d[off + 2 * i] << 8) | d[off + 2 * i + 1];
    if (g === 0) {
      if (runStart < 0) runStart = i;
      const runLen = i - runStart + 1;
      if (runLen > bestLen) {
        bestLen = runLen;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped addresses keep the dotted tail, as RFC 5952 section 5 recommends.
  const mapped = bestStart === 0 && bestLen === 5 && d[off + 10] === 0xff && d[off + 11] === 0xff;
  if (mapped) return `::ffff:${formatIpv4(d, off + 12)}`;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += ((d[off + 2 * i] << 8) | d[off + 2 * i + 1]).toString(16);
  }
  return s;
}

export function formatIp(d: Uint8Array, off: number, version: number): string {
  return version === 6 ? formatIpv6(d, off) : formatIpv4(d, off);
}

/** Colon-separated lower-case hex, e.g. a MAC (len 6) or an SLL link-layer address. */
export function formatMac(d: Uint8Array, off: number, len = 6): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const b = d[off + i];
    if (i > 0) s += ':';
    s += HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}

/** An IPv4 address as an unsigned 32-bit number: a cheap Map key with no string allocated. */
export function ipv4Number(d: Uint8Array, off: number): number {
  return ((d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3]) >>> 0;
}

/**
 * A compact string key for an address (4 or 16 bytes as latin1 characters): unique per address,
 * cheaper than formatting, usable in Map keys that mix IPv4 and IPv6.
 */
export function addressKey(d: Uint8Array, off: number, version: number): string {
  const n = version === 6 ? 16 : 4;
  let s = version === 6 ? '6' : '4';
  for (let i = 0; i < n; i++) s += String.fromCharCode(d[off + i]);
  return s;
}

/** Key for one endpoint (address + port), e.g. one side of a flow. */
export function endpointKey(d: Uint8Array, off: number, version: number, port: number): string {
  return addressKey(d, off, version) + String.fromCharCode(port >> 8, port & 0xff);
}
