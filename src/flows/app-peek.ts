/**
 * Application peek: what the first bytes of a flow say (HTTP request line / Host / status, DNS
 * question and answers, TLS SNI). Every parser bounds-checks against the bytes it was given and
 * returns null on anything it does not recognise; strings are sanitized for terminals.
 */
import { formatIpv6 } from '../decode/address.js';
import { sanitizeText } from '../present/sanitize.js';
import type { DnsPeek, HttpPeek } from './flow.js';

const HTTP_METHODS = new Set([
  'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PROPFIND', 'PROPPATCH',
  'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH',
]);
const MAX_FIELD = 512;

/** Latin-1 text of d[start, end), capped so a long header cannot blow up memory or the terminal. */
function ascii(d: Uint8Array, start: number, end: number): string {
  const stop = Math.min(end, start + MAX_FIELD);
  let s = '';
  for (let i = start; i < stop; i++) s += String.fromCharCode(d[i]);
  return s;
}

function clean(s: string): string {
  return sanitizeText(s);
}

/** End of the line starting at `start` (index of '\n'), or -1 within `limit` bytes. */
function lineEnd(d: Uint8Array, start: number, limit: number): number {
  const stop = Math.min(d.length, start + limit);
  for (let i = start; i < stop; i++) if (d[i] === 0x0a) return i;
  return -1;
}

function trimCr(d: Uint8Array, start: number, end: number): number {
  return end > start && d[end - 1] === 0x0d ? end - 1 : end;
}

/** Whether d starts like a request line: 3 to 10 upper-case letters, then a space. */
function requestLike(d: Uint8Array): boolean {
  const stop = Math.min(d.length, 11);
  for (let i = 0; i < stop; i++) {
    const c = d[i];
    if (c === 0x20) return i >= 3;
    if (c < 0x41 || c > 0x5a) return false;
  }
  return false;
}

/** Whether d starts with `HTTP/`. */
function responseLike(d: Uint8Array): boolean {
  return d.length >= 5 && d[0] === 0x48 && d[1] === 0x54 && d[2] === 0x54 && d[3] === 0x50 && d[4] === 0x2f;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** What `\s` matches among Latin-1 characters. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

/** Whether d[at, at+8) reads `HTTP/<digit>.<digit>`. */
function versionAt(d: Uint8Array, at: number): boolean {
  return d[at] === 0x48 && d[at + 1] === 0x54 && d[at + 2] === 0x54 && d[at + 3] === 0x50 && d[at + 4] === 0x2f &&
    isDigit(d[at + 5]) && d[at + 6] === 0x2e && isDigit(d[at + 7]);
}

// The parsers below read the bytes in place, as the patterns `^([A-Z]{3,10}) (\S+) HTTP\/\d\.\d$`,
// `^host:\s*(.*?)\s*$`i and `^HTTP\/\d\.\d (\d{3})(?: |$)` would on the line's first MAX_FIELD
// Latin-1 characters (every flow of a web capture is HTTP: no line text, no regex per flow).

/**
 * [method end, path end) of a request line d[0, stop), stop at most MAX_FIELD; null when it is
 * not `METHOD path HTTP/d.d`. The caller has checked requestLike(d).
 */
function requestLine(d: Uint8Array, stop: number): [number, number] | null {
  let sp = 0;
  while (d[sp] !== 0x20) sp++;
  const pathEnd = stop - 9;
  if (pathEnd <= sp + 1 || d[pathEnd] !== 0x20 || !versionAt(d, pathEnd + 1)) return null;
  for (let i = sp + 1; i < pathEnd; i++) if (isSpace(d[i])) return null;
  return [sp, pathEnd];
}

/** Host header value of the line d[pos, stop), trimmed; null when the line is not a Host header. */
function hostValue(d: Uint8Array, pos: number, stop: number): string | null {
  if (stop - pos < 5 || (d[pos] | 0x20) !== 0x68 || (d[pos + 1] | 0x20) !== 0x6f || (d[pos + 2] | 0x20) !== 0x73 ||
    (d[pos + 3] | 0x20) !== 0x74 || d[pos + 4] !== 0x3a) return null;
  let a = pos + 5;
  while (a < stop && isSpace(d[a])) a++;
  let b = stop;
  while (b > a && isSpace(d[b - 1])) b--;
  // The value cannot span a line terminator (the pattern's `.`).
  for (let i = a; i < b; i++) if (d[i] === 0x0d || d[i] === 0x0a) return null;
  return ascii(d, a, b);
}

/** Status code of a response line d[0, stop) (d starts with `HTTP/`); `end` requires a space or the line's end after it. */
function statusCode(d: Uint8Array, stop: number, end: boolean): number | null {
  if (stop < 12 || !versionAt(d, 0) || d[8] !== 0x20 || !isDigit(d[9]) || !isDigit(d[10]) || !isDigit(d[11])) return null;
  if (end && stop > 12 && d[12] !== 0x20) return null;
  return (d[9] - 0x30) * 100 + (d[10] - 0x30) * 10 + (d[11] - 0x30);
}

/**
 * [method end, path end, whole path] of a request line the capture cut short (d ends inside it);
 * null when what is there is not the start of `METHOD path HTTP/d.d`. The path is whole when a
 * space and the start of the version follow it.
 */
function cutRequestLine(d: Uint8Array): [number, number, boolean] | null {
  const stop = Math.min(d.length, MAX_FIELD);
  let sp = 0;
  while (d[sp] !== 0x20) sp++;
  let pathEnd = sp + 1;
  while (pathEnd < stop && d[pathEnd] !== 0x20) {
    if (isSpace(d[pathEnd])) return null;
    pathEnd++;
  }
  if (pathEnd === sp + 1) return null;
  if (pathEnd >= stop) return stop === d.length ? [sp, pathEnd, false] : null;
  const version = 'HTTP/0.0';
  for (let i = pathEnd + 1, k = 0; i < d.length; i++, k++) {
    if (k >= version.length) return null;
    const ok = k === 5 || k === 7 ? isDigit(d[i]) : d[i] === version.charCodeAt(k);
    if (!ok) return null;
  }
  return [sp, pathEnd, true];
}

/**
 * HTTP/1.x request line and Host from the client stream, status from the server stream.
 * `fwdCut`: the capture kept only these first bytes of the client stream (a snaplen): a request
 * line that runs to their end still gives its method, and its path (marked … when cut inside).
 */
export function peekHttp(fwd: Uint8Array, rev: Uint8Array, fwdCut = false): HttpPeek | null {
  let method: string | null = null;
  let path: string | null = null;
  let host: string | null = null;
  let status: number | null = null;
  // Most streams are not HTTP: rule them out before scanning for line ends.
  const end = requestLike(fwd) ? lineEnd(fwd, 0, 8192) : -1;
  if (end > 0) {
    const req = requestLine(fwd, Math.min(trimCr(fwd, 0, end), MAX_FIELD));
    const m = req !== null ? ascii(fwd, 0, req[0]) : null;
    if (req !== null && m !== null && HTTP_METHODS.has(m)) {
      method = m;
      path = clean(ascii(fwd, req[0] + 1, req[1]));
      // Headers until the blank line.
      let pos = end + 1;
      for (let n = 0; n < 100 && pos < fwd.length; n++) {
        const e = lineEnd(fwd, pos, 8192);
        if (e < 0) break;
        const lineStop = trimCr(fwd, pos, e);
        if (lineStop === pos) break;
        if (lineStop - pos > 5 && (fwd[pos] | 0x20) === 0x68) {
          const h = hostValue(fwd, pos, Math.min(lineStop, pos + MAX_FIELD));
          if (h !== null) {
            host = clean(h);
            break;
          }
        }
        pos = e + 1;
      }
    }
  } else if (end < 0 && fwdCut && requestLike(fwd)) {
    const req = cutRequestLine(fwd);
    const m = req !== null ? ascii(fwd, 0, req[0]) : null;
    if (req !== null && m !== null && HTTP_METHODS.has(m)) {
      method = m;
      path = clean(ascii(fwd, req[0] + 1, req[1])) + (req[2] ? '' : '…');
    }
  }
  if (responseLike(rev)) {
    const rend = lineEnd(rev, 0, 1024);
    if (rend > 0) status = statusCode(rev, Math.min(trimCr(rev, 0, rend), MAX_FIELD), true);
    else if (rev.length >= 12) status = statusCode(rev, Math.min(rev.length, 16), false);
  }
  if (method === null && status === null) return null;
  return { method, path, host, status };
}

/** SNI of a TLS ClientHello at the start of the client stream (may span several records' worth of prefix). */
export function peekTlsSni(d: Uint8Array): string | null {
  // Record header: type 22 handshake, version 3.x; handshake type 1 ClientHello.
  if (d.length < 9 || d[0] !== 22 || d[1] !== 3 || d[5] !== 1) return null;
  const hsLen = (d[6] << 16) | (d[7] << 8) | d[8];
  const end = Math.min(d.length, 9 + hsLen);
  let p = 9 + 2 + 32; // client version + random
  if (p >= end) return null;
  p += 1 + d[p]; // session id
  if (p + 2 > end) return null;
  p += 2 + ((d[p] << 8) | d[p + 1]); // cipher suites
  if (p + 1 > end) return null;
  p += 1 + d[p]; // compression methods
  if (p + 2 > end) return null;
  const extEnd = Math.min(end, p + 2 + ((d[p] << 8) | d[p + 1]));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = (d[p] << 8) | d[p + 1];
    const len = (d[p + 2] << 8) | d[p + 3];
    p += 4;
    if (type === 0 && p + 5 <= extEnd) {
      // server_name list: u16 list length, then entries (u8 type, u16 length, name).
      let q = p + 2;
      const listEnd = Math.min(extEnd, p + len);
      while (q + 3 <= listEnd) {
        const nameType = d[q];
        const nameLen = (d[q + 1] << 8) | d[q + 2];
        q += 3;
        if (q + nameLen > listEnd) return null;
        if (nameType === 0) return clean(ascii(d, q, q + nameLen));
        q += nameLen;
      }
      return null;
    }
    p += len;
  }
  return null;
}

/** A parsed DNS message: question, and answers when it is a response. */
export interface DnsMessage {
  id: number;
  isResponse: boolean;
  rcode: number;
  qname: string;
  qtype: number;
  answers: string[];
}

const MAX_ANSWERS = 16;

/** Reads a (possibly compressed) name at `off`; returns [name, offset after it] or null. */
function readName(d: Uint8Array, start: number, off: number, end: number): [string, number] | null {
  const labels: string[] = [];
  let pos = off;
  let after = -1;
  let jumps = 0;
  let total = 0;
  while (pos < end) {
    const len = d[pos];
    if (len === 0) {
      if (after < 0) after = pos + 1;
      return [labels.length === 0 ? '.' : labels.join('.'), after];
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= end || ++jumps > 32) return null;
      if (after < 0) after = pos + 2;
      pos = start + (((len & 0x3f) << 8) | d[pos + 1]);
      continue;
    }
    if ((len & 0xc0) !== 0 || pos + 1 + len > end) return null;
    total += len + 1;
    if (total > 255) return null;
    labels.push(ascii(d, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return null;
}

function formatRdata(d: Uint8Array, start: number, type: number, off: number, len: number, end: number): string | null {
  if (type === 1 && len === 4) return `A ${d[off]}.${d[off + 1]}.${d[off + 2]}.${d[off + 3]}`;
  if (type === 28 && len === 16) return `AAAA ${formatIpv6(d, off)}`;
  if (type === 5 || type === 12 || type === 2) {
    const n = readName(d, start, off, end);
    if (!n) return null;
    return `${type === 5 ? 'CNAME' : type === 12 ? 'PTR' : 'NS'} ${n[0]}`;
  }
  return `TYPE${type}`;
}

/**
 * The question's name as far as a cut datagram kept it, `…` where it stops: its labels up to the
 * end of the bytes. Null when the name ends (or points elsewhere) within them: readName reads it.
 */
function cutName(d: Uint8Array, off: number, end: number): string | null {
  const labels: string[] = [];
  let pos = off;
  while (pos < end) {
    const len = d[pos];
    if (len === 0 || (len & 0xc0) !== 0) return null;
    if (pos + 1 + len > end) break;
    labels.push(ascii(d, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return labels.length > 0 ? `${labels.join('.')}.…` : null;
}

/**
 * Parses a DNS message in d[off, off+len); null when it is not one. `cut`: the capture kept only
 * these bytes of the datagram (a snaplen): a question running past them gives its name as far as
 * it goes, marked `…`, with qtype -1.
 */
export function parseDns(d: Uint8Array, off: number, len: number, cut = false): DnsMessage | null {
  const start = off;
  const end = Math.min(d.length, off + len);
  if (end - start < 12) return null;
  const id = (d[start] << 8) | d[start + 1];
  const flags = (d[start + 2] << 8) | d[start + 3];
  const qd = (d[start + 4] << 8) | d[start + 5];
  const an = (d[start + 6] << 8) | d[start + 7];
  if (qd !== 1) return null;
  const q = readName(d, start, start + 12, end);
  if (!q || q[1] + 4 > end) {
    const partial = !cut ? null : q ? q[0] : cutName(d, start + 12, end);
    if (partial === null) return null;
    return { id, isResponse: (flags & 0x8000) !== 0, rcode: flags & 0xf, qname: clean(partial), qtype: -1, answers: [] };
  }
  const qtype = (d[q[1]] << 8) | d[q[1] + 1];
  let pos = q[1] + 4;
  const answers: string[] = [];
  for (let i = 0; i < an && answers.length < MAX_ANSWERS; i++) {
    const n = readName(d, start, pos, end);
    if (!n || n[1] + 10 > end) break;
    const p = n[1];
    const type = (d[p] << 8) | d[p + 1];
    const rdlen = (d[p + 8] << 8) | d[p + 9];
    if (p + 10 + rdlen > end) break;
    const text = formatRdata(d, start, type, p + 10, rdlen, end);
    if (text) answers.push(clean(text));
    pos = p + 10 + rdlen;
  }
  return {
    id,
    isResponse: (flags & 0x8000) !== 0,
    rcode: flags & 0xf,
    qname: clean(q[0]),
    qtype,
    answers,
  };
}

/** Merges a DNS message into the flow's peek (first query wins; first response fills answers). */
export function mergeDns(prev: DnsPeek | null, msg: DnsMessage): DnsPeek {
  const peek = prev ?? { qname: msg.qname, qtype: msg.qtype, answers: [], rcode: null };
  if (msg.isResponse && peek.rcode === null) {
    peek.rcode = msg.rcode;
    peek.answers = msg.answers;
  }
  return peek;
}
