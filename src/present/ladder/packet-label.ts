/**
 * Words for one packet on the ladder: TCP flag names, the application line a stream starts with
 * (HTTP request / status line) and the one-line label combining them.
 */
import { ipProtoWord } from '../../flows/ip-proto.js';
import { sanitizeText } from '../sanitize.js';

const FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [0x02, 'SYN'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x10, 'ACK'],
  [0x20, 'URG'],
  [0x40, 'ECE'],
  [0x80, 'CWR'],
];

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** `SYN-ACK`, `PSH-ACK`, `FIN-ACK`, `RST`; `none` when no flag is set. */
export function tcpFlagsText(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) names.push(name);
  return names.length > 0 ? names.join('-') : 'none';
}

/** IP protocol number as a word, for non-TCP arrows. */
export function protoWord(proto: number): string {
  return ipProtoWord(proto) ?? `proto ${proto}`;
}

const HTTP_REQUEST = /^[A-Z][A-Z-]{2,15} \S+ HTTP\/\d(?:\.\d)?$/;
const HTTP_STATUS = /^HTTP\/\d(?:\.\d)? \d{3}(?: .*)?$/;
const MAX_LINE = 120;

/**
 * The HTTP request line or status line at the start of a stream prefix, sanitized and cut to
 * 120 characters; null when the stream does not start with one.
 */
export function httpFirstLine(prefix: Uint8Array): string | null {
  if (prefix.length < 8) return null;
  let end = prefix.indexOf(0x0a);
  if (end < 0) end = Math.min(prefix.length, 2048);
  if (end > 2048) return null;
  // latin1 keeps one character per byte, so a hostile byte cannot smuggle a multi-byte sequence.
  let line = Buffer.from(prefix.buffer, prefix.byteOffset, end).toString('latin1');
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (!HTTP_REQUEST.test(line) && !HTTP_STATUS.test(line)) return null;
  line = sanitizeText(line);
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}
