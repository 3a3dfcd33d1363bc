/**
 * Addresses the kernel never routes, so never NATs nor hands to a proxy: what a packet from ::,
 * 0.0.0.0 or a link-local address, or to multicast or broadcast, can only be is itself, on its
 * link (bridged copies of it stay possible).
 */
import type { ConnNode } from './conn-node.js';
import type { Mechanism } from './model.js';

/** From ::, 0.0.0.0 or a link-local address, or to multicast, broadcast or a link-local address. */
export function linkScoped(n: ConnNode): boolean {
  return unroutableSource(n.client.ip) || linkOnlyDestination(n.server.ip) || isLinkLocal6(n.server.ip);
}

/**
 * To multicast or broadcast, or from an unspecified address: nothing a socket connects or sends
 * to one peer with (a proxy's listener, a proxy's dial). Link-local unicast still can be.
 */
export function notOnePeer(n: ConnNode): boolean {
  return linkOnlyDestination(n.server.ip) || n.client.ip === '::' || n.client.ip === '0.0.0.0';
}

function unroutableSource(ip: string): boolean {
  return ip === '::' || ip === '0.0.0.0' || isLinkLocal6(ip);
}

/** fe80::/10, written as natflow writes IPv6 (lower-case, RFC 5952). */
function isLinkLocal6(ip: string): boolean {
  return ip.length > 4 && ip.charCodeAt(0) === 0x66 && ip.charCodeAt(1) === 0x65 && ip.charCodeAt(4) === 0x3a && '89ab'.includes(ip[2]);
}

/** Multicast (224.0.0.0/4, ff00::/8) or the limited broadcast: a group, never one peer. */
export function linkOnlyDestination(ip: string): boolean {
  // ff00::/8: a first group of four digits starting with ff ("ff::1" is 00ff::1, not multicast).
  if (ip.length > 4 && ip.charCodeAt(4) === 0x3a && ip.startsWith('ff')) return true;
  if (ip === '255.255.255.255') return true;
  const dot = ip.indexOf('.');
  if (dot < 1 || dot > 3) return false;
  const first = Number(ip.slice(0, dot));
  return first >= 224 && first <= 239;
}

/**
 * A TTL (hop limit) a host sends with: 64 (Linux, macOS), 128 (Windows), 255. A packet captured
 * with another was routed on its way here, so this host did not send it.
 */
export function initialTtl(t: number | null): boolean {
  return t === 64 || t === 128 || t === 255;
}

/**
 * Copies of one link-local control packet (neighbor discovery, MLD, IGMP: `linkControl`) or of a
 * multicast or broadcast packet, bridged: seen at several capture points, but no conversation.
 * The correlator lists these after the conversations and the summary counts them apart: one test.
 */
export function isBackgroundNoise(mechanism: Mechanism, linkControl: boolean, dstIp: string): boolean {
  return mechanism === 'bridge' && (linkControl || linkOnlyDestination(dstIp));
}
