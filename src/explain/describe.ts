import type { Flow } from '../flows/flow.js';
import type { Hop, RuleRef } from '../correlate/model.js';
import { sanitizeText } from '../present/sanitize.js';

/** `ip:port`, IPv6 in brackets; ICMP echo flows as `ip (echo id N)`. */
export function endpointText(f: Flow, side: 'src' | 'dst'): string {
  const e = f[side];
  if (f.proto === 1 || f.proto === 58) {
    // The echo id belongs to the sender's side (it is what MASQUERADE may remap).
    return side === 'src' && f.icmp?.echoId != null ? `${e.ip} (echo id ${f.icmp.echoId})` : e.ip;
  }
  return addrPortText(e.ip, e.port);
}

/** `ip:port`, IPv6 in brackets (`[fd00::2]:5000`); the address alone without a port (< 0). */
export function addrPortText(ip: string, port: number): string {
  if (port < 0) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function protoText(p: number): string {
  return ({ 6: 'TCP', 17: 'UDP', 1: 'ICMP', 2: 'IGMP', 58: 'ICMPv6', 132: 'SCTP' } as Record<number, string>)[p] ?? `IP protocol ${p}`;
}

/** "a TCP connection" / "a UDP exchange" / "an ICMP echo exchange". */
export function aConversation(p: number): string {
  const n = conversationNoun(p);
  // By sound: "an ICMP", "an SCTP", "an IGMP", but "a UDP" (you-dee-pee).
  return `${/^[AEIOS]/.test(n) ? 'an' : 'a'} ${n}`;
}

/** "TCP connection" / "UDP exchange" / "ICMP echo exchange". */
export function conversationNoun(p: number): string {
  if (p === 6) return 'TCP connection';
  if (p === 17) return 'UDP exchange';
  if (p === 1 || p === 58) return `${protoText(p)} echo exchange`;
  return `${protoText(p)} exchange`;
}

export function iface(f: Flow): string {
  return sanitizeText(f.iface);
}

export function tupleText(f: Flow): string {
  return `${endpointText(f, 'src')} → ${endpointText(f, 'dst')}`;
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** Microseconds or milliseconds, whichever reads better. */
export function durationText(seconds: number): string {
  const us = seconds * 1e6;
  if (Math.abs(us) < 1000) return `${Math.round(us)} µs`;
  return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
}

/** "rule `-A DOCKER …` (nat DOCKER, rules.txt:12)", sanitized. */
export function ruleText(r: RuleRef): string {
  const where = [r.table, r.chain].filter(Boolean).join(' ');
  const src = r.source ? `, ${r.source}` : '';
  return `\`${sanitizeText(r.text)}\` (${sanitizeText(where)}${sanitizeText(src)})`;
}

export function fieldOf(h: Hop | undefined, field: string) {
  return h?.fields.find((d) => d.field === field);
}
