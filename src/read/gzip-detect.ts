/** gzip member magic (RFC 1952). Detected by content, never by file name. */
export function isGzipMagic(b: Uint8Array, len: number): boolean {
  return len >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** "a1 b2 c3 d4" for the first up-to-8 bytes, to name an unknown format in an error. */
export function hexPrefix(b: Uint8Array, len: number, max = 8): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(len, max); i++) parts.push(b[i].toString(16).padStart(2, '0'));
  return parts.join(' ');
}
