/**
 * Files people hand a capture tool by mistake, known by their first bytes, with what to do
 * instead: a compressed or archived capture, another capture tool's format, or tcpdump's printed
 * text (`tcpdump -i any > cap.pcap` instead of `-w cap.pcap`).
 */
interface KnownFormat {
  /** Bytes at `at`. */
  magic: readonly number[];
  at?: number;
  name: string;
  advice: string;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const KNOWN: readonly KnownFormat[] = [
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz-compressed', advice: 'decompress it first (xz -d)' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd-compressed', advice: 'decompress it first (zstd -d)' },
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2-compressed', advice: 'decompress it first (bunzip2)' },
  { magic: [0x04, 0x22, 0x4d, 0x18], name: 'lz4-compressed', advice: 'decompress it first (lz4 -d)' },
  { magic: [0x50, 0x4b, 0x03, 0x04], name: 'a zip archive', advice: 'extract the capture first (unzip)' },
  { magic: ascii('ustar'), at: 257, name: 'a tar archive', advice: 'extract the captures first (tar xf)' },
  { magic: ascii('snoop\0\0\0'), name: 'a Solaris snoop capture', advice: 'convert it first (editcap -F pcap)' },
  { magic: ascii('GMBU'), name: 'a Microsoft Network Monitor capture', advice: 'convert it first (editcap -F pcap)' },
  { magic: ascii('XCP\0'), name: 'a NetXray / Sniffer capture', advice: 'convert it first (editcap -F pcap)' },
];

/** How many bytes the longest check needs (tar's magic is at 257). */
export const OTHER_FORMAT_PEEK = 262;

const TEXT = { name: 'text', advice: "if it is tcpdump's printed output, record with tcpdump -w FILE instead" };

/**
 * What the file is, and what to do, when its first bytes say so; null when they say nothing
 * natflow can name. `b` holds the first `len` bytes.
 */
export function describeOtherFormat(b: Uint8Array, len: number): { name: string; advice: string } | null {
  for (const k of KNOWN) {
    const at = k.at ?? 0;
    if (len < at + k.magic.length) continue;
    if (k.magic.every((x, i) => b[at + i] === x)) return k;
  }
  return looksLikeText(b, len) ? TEXT : null;
}

/** Printable ASCII, tabs and line ends only, in the first bytes: a log, a listing, tcpdump's text. */
function looksLikeText(b: Uint8Array, len: number): boolean {
  const n = Math.min(len, 64);
  if (n < 4) return false;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (!(c >= 0x20 && c < 0x7f) && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}
