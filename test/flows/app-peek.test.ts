import { describe, expect, it } from 'vitest';
import { parseDns, peekHttp } from '../../src/flows/app-peek.js';
import { sanitizeText } from '../../src/present/sanitize.js';

// The former regex parser, kept as the oracle: peekHttp reads the bytes in place and must agree.
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH']);

function ascii(d: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, start + 512); i++) s += String.fromCharCode(d[i]);
  return s;
}

function lineEnd(d: Uint8Array, start: number, limit: number): number {
  for (let i = start; i < Math.min(d.length, start + limit); i++) if (d[i] === 0x0a) return i;
  return -1;
}

const trimCr = (d: Uint8Array, start: number, end: number) => (end > start && d[end - 1] === 0x0d ? end - 1 : end);

function oracle(fwd: Uint8Array, rev: Uint8Array) {
  let method: string | null = null;
  let path: string | null = null;
  let host: string | null = null;
  let status: number | null = null;
  const lead = /^[A-Z]{3,10} /.test(ascii(fwd, 0, 11));
  const end = lead ? lineEnd(fwd, 0, 8192) : -1;
  if (end > 0) {
    const m = /^([A-Z]{3,10}) (\S+) HTTP\/\d\.\d$/.exec(ascii(fwd, 0, trimCr(fwd, 0, end)));
    if (m && METHODS.has(m[1])) {
      method = m[1];
      path = sanitizeText(m[2]);
      let pos = end + 1;
      for (let n = 0; n < 100 && pos < fwd.length; n++) {
        const e = lineEnd(fwd, pos, 8192);
        if (e < 0) break;
        const stop = trimCr(fwd, pos, e);
        if (stop === pos) break;
        const hm = stop - pos > 5 ? /^host:\s*(.*?)\s*$/i.exec(ascii(fwd, pos, stop)) : null;
        if (hm) {
          host = sanitizeText(hm[1]);
          break;
        }
        pos = e + 1;
      }
    }
  }
  if (ascii(rev, 0, 5) === 'HTTP/') {
    const rend = lineEnd(rev, 0, 1024);
    if (rend > 0) {
      const m = /^HTTP\/\d\.\d (\d{3})(?: |$)/.exec(ascii(rev, 0, trimCr(rev, 0, rend)));
      if (m) status = Number(m[1]);
    } else if (rev.length >= 12) {
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(ascii(rev, 0, Math.min(rev.length, 16)));
      if (m) status = Number(m[1]);
    }
  }
  return method === null && status === null ? null : { method, path, host, status };
}

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

// Deterministic PRNG (mulberry32): the same cases every run.
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REQUESTS = [
  'GET /health HTTP/1.1\r\nHost: api\r\nUser-Agent: probe/1.0\r\n\r\n',
  'POST /a?b=c HTTP/1.0\nhOsT:\t  example.com \t\r\n\r\n',
  'GET / HTTP/1.1\r\nX-Host: no\r\nHost:\r\nHost: \r\nhost:x\r\n',
  'PROPPATCH /x HTTP/2.0\r\nHost: a\rb\r\nHost: c\r\n',
  'FOO /x HTTP/1.1\r\nHost: a\r\n',
  `GET /${'p'.repeat(503)} HTTP/1.1\r\nHost: ${'h'.repeat(600)}\r\n`,
  'GET  /double HTTP/1.1\r\n',
  'GET /x\xa0y HTTP/1.1\r\n',
  'GET /x HTTP/1.1 \r\n',
  'GET /\x1b[31mred HTTP/1.1\r\nHost: \x1b]0;t\x07h\r\n',
];
const RESPONSES = ['HTTP/1.0 200 OK\r\n', 'HTTP/1.1 404\r\n', 'HTTP/1.1 2000\r\n', 'HTTP/1.1 204 ', 'HTTP/1.1 30', 'HTTP/x.1 200 OK\r\n', 'HTTP/1.1 200\rX\n', ''];
const NOISE = [0x20, 0x0d, 0x0a, 0x09, 0xa0, 0x3a, 0x2f, 0x2e, 0x31, 0x48, 0x68, 0x0c, 0x85];

function mutate(s: Uint8Array, r: () => number): Uint8Array {
  const out = Array.from(s);
  const n = Math.floor(r() * 4);
  for (let k = 0; k < n && out.length > 0; k++) {
    const i = Math.floor(r() * out.length);
    const op = r();
    const c = r() < 0.7 ? NOISE[Math.floor(r() * NOISE.length)] : Math.floor(r() * 256);
    if (op < 0.4) out[i] = c;
    else if (op < 0.7) out.splice(i, 0, c);
    else out.splice(i, 1);
  }
  return Uint8Array.from(out);
}

describe('peekHttp', () => {
  it('reads request line, Host and status', () => {
    expect(peekHttp(bytes(REQUESTS[0]), bytes(RESPONSES[0]))).toEqual({ method: 'GET', path: '/health', host: 'api', status: 200 });
    expect(peekHttp(bytes(REQUESTS[1]), bytes('HTTP/1.1 301'))).toEqual({ method: 'POST', path: '/a?b=c', host: 'example.com', status: 301 });
    expect(peekHttp(bytes('FOO /x HTTP/1.1\r\n'), bytes('HTTP/1.1 2000\r\n'))).toBeNull();
  });

  it('reads a request line the capture cut short (snaplen) only when told the stream goes on', () => {
    const resp = bytes('HTTP/1.0 200 OK\r\nServer: Si');
    // tcpdump -s 96 on Ethernet keeps 30 bytes of a request: the path is whole, the version cut.
    expect(peekHttp(bytes('GET /hello.txt?m=nf-s01-c1 HTT'), resp, true)).toEqual({ method: 'GET', path: '/hello.txt?m=nf-s01-c1', host: null, status: 200 });
    expect(peekHttp(bytes('GET /hello.txt?m=nf-s01-c1 '), resp, true)?.path).toBe('/hello.txt?m=nf-s01-c1');
    // -i any (SLL2) keeps 24: the path is cut inside, and says so.
    expect(peekHttp(bytes('GET /hello.txt?m=nf-s01-'), resp, true)?.path).toBe('/hello.txt?m=nf-s01-…');
    // The same bytes as a whole stream are no request line (no line end, no version).
    expect(peekHttp(bytes('GET /hello.txt?m=nf-s01-c1 HTT'), bytes(''), false)).toBeNull();
    // What follows the path must be the start of HTTP/d.d; a method must be one.
    expect(peekHttp(bytes('GET /a XTTP'), bytes(''), true)).toBeNull();
    expect(peekHttp(bytes('GET /a HTTP/x'), bytes(''), true)).toBeNull();
    expect(peekHttp(bytes('FOO /a HTTP/1'), bytes(''), true)).toBeNull();
    expect(peekHttp(bytes('GET '), bytes(''), true)).toBeNull();
    expect(peekHttp(bytes('GET /a\tb'), bytes(''), true)).toBeNull();
  });

  it('agrees with the regex parser on mutated and truncated messages', () => {
    const r = rng(7);
    for (let n = 0; n < 20000; n++) {
      let fwd = mutate(bytes(REQUESTS[Math.floor(r() * REQUESTS.length)]), r);
      let rev = mutate(bytes(RESPONSES[Math.floor(r() * RESPONSES.length)]), r);
      if (r() < 0.3) fwd = fwd.subarray(0, Math.floor(r() * (fwd.length + 1)));
      if (r() < 0.3) rev = rev.subarray(0, Math.floor(r() * (rev.length + 1)));
      const want = oracle(fwd, rev);
      const got = peekHttp(fwd, rev);
      if (JSON.stringify(got) !== JSON.stringify(want)) expect({ fwd: Array.from(fwd), rev: Array.from(rev), got }).toEqual({ fwd: Array.from(fwd), rev: Array.from(rev), got: want });
    }
  });
});

describe('parseDns on a datagram the capture cut short', () => {
  // A query for nf-s03-u1.lab.test, type A, as captures/03-egress-masquerade's client sends it.
  const name = [9, ...'nf-s03-u1'].concat([3, ...'lab'], [4, ...'test'], [0]).map((c) => (typeof c === 'number' ? c : c.charCodeAt(0)));
  const query = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...name, 0, 1, 0, 1]);

  it('whole: the name and type', () => {
    expect(parseDns(query, 0, query.length)).toMatchObject({ qname: 'nf-s03-u1.lab.test', qtype: 1, isResponse: false });
  });

  it('cut (tcpdump -s 68 keeps 26 bytes over Ethernet): the labels kept, marked …, no type', () => {
    expect(parseDns(query, 0, 26, true)).toMatchObject({ qname: 'nf-s03-u1.lab.…', qtype: -1, answers: [] });
    expect(parseDns(query, 0, 22, true)?.qname).toBe('nf-s03-u1.…');
    // The same bytes not known to be cut are no DNS message; a cut inside the first label or the
    // header gives no name.
    expect(parseDns(query, 0, 26)).toBeNull();
    expect(parseDns(query, 0, 20, true)).toBeNull();
    expect(parseDns(query, 0, 11, true)).toBeNull();
    // A name ending within the kept bytes but its type cut is read whole.
    expect(parseDns(query, 0, query.length - 2, true)).toMatchObject({ qname: 'nf-s03-u1.lab.test', qtype: -1 });
  });
});
