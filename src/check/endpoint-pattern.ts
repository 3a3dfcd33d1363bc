/**
 * Endpoint selectors: `198.18.0.1:5000`, `*:5000`, `:5000`, `198.18.0.1:*`, `172.17.0.0/16:80`,
 * `[::1]:5000`, `[fd00::/64]:*`, `8000-8100` port ranges, or a bare address / CIDR (any port).
 */
import { type IpPrefix, type IpValue, parseIp, parsePrefix, prefixContains } from './ip-address.js';

export interface EndpointPattern {
  /** The selector as written, for messages. */
  text: string;
  /** null = any address. */
  prefix: IpPrefix | null;
  /** Inclusive port range; null = any port. */
  ports: { lo: number; hi: number } | null;
}

export interface ParsedEndpoint {
  ip: IpValue | null;
  port: number | null;
}

/** Returns the pattern or a message saying what is wrong with it. */
export function parseEndpointPattern(text: string): EndpointPattern | string {
  const s = text.trim();
  if (s === '' ) return 'empty endpoint';
  if (s === '*' || s === '*:*') return { text: s, prefix: null, ports: null };
  let hostPart: string;
  let portPart: string | null;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return `unclosed "[" in "${s}"`;
    hostPart = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest === '') portPart = null;
    else if (rest.startsWith(':')) portPart = rest.slice(1);
    else return `expected ":port" after "]" in "${s}"`;
  } else {
    const colons = s.split(':').length - 1;
    if (colons === 0) {
      hostPart = s;
      portPart = null;
    } else if (colons === 1) {
      const i = s.indexOf(':');
      hostPart = s.slice(0, i);
      portPart = s.slice(i + 1);
    } else {
      // An unbracketed IPv6 address cannot carry a port: `::1:5000` would be ambiguous.
      hostPart = s;
      portPart = null;
    }
  }
  let prefix: IpPrefix | null = null;
  if (hostPart !== '' && hostPart !== '*') {
    const p = parsePrefix(hostPart);
    if (!p) return `"${hostPart}" is not an IP address or CIDR prefix (write IPv6 with a port as "[::1]:5000")`;
    prefix = p;
  }
  let ports: EndpointPattern['ports'] = null;
  if (portPart !== null && portPart !== '*') {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(portPart);
    if (!m) return `"${portPart}" is not a port, a port range (8000-8100) or *`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535 || hi < lo) return `port "${portPart}" is out of range`;
    ports = { lo, hi };
  }
  return { text: s, prefix, ports };
}

/** Parses an EndpointText from the analysis (`ip:port`, `[v6]:port`, or a bare address). */
export function parseEndpointText(text: string): ParsedEndpoint {
  let host = text;
  let port: number | null = null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = close >= 0 ? text.slice(1, close) : text.slice(1);
    const rest = close >= 0 ? text.slice(close + 1) : '';
    if (rest.startsWith(':')) port = toPort(rest.slice(1));
  } else if (text.split(':').length === 2) {
    const i = text.indexOf(':');
    host = text.slice(0, i);
    port = toPort(text.slice(i + 1));
  }
  return { ip: parseIp(host), port };
}

function toPort(s: string): number | null {
  return /^\d{1,5}$/.test(s) ? Number(s) : null;
}

export function endpointMatches(p: EndpointPattern, endpoint: string): boolean {
  const e = parseEndpointText(endpoint);
  return parsedMatches(p, e.ip, e.port);
}

/** Whether an address (as text) and a port (null: the protocol has none) match the pattern. */
export function addressMatches(p: EndpointPattern, ip: string, port: number | null): boolean {
  return parsedMatches(p, p.prefix ? parseIp(ip) : null, port);
}

function parsedMatches(p: EndpointPattern, ip: IpValue | null, port: number | null): boolean {
  if (p.prefix) {
    if (!ip || !prefixContains(p.prefix, ip)) return false;
  }
  if (p.ports) {
    if (port === null || port < p.ports.lo || port > p.ports.hi) return false;
  }
  return true;
}

/** The IP part of an endpoint text, as written (brackets removed). */
export function endpointHost(text: string): string {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    return close >= 0 ? text.slice(1, close) : text.slice(1);
  }
  const parts = text.split(':');
  return parts.length === 2 ? parts[0] : text;
}
