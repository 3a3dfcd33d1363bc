/**
 * Orders the legs of one same-packet group along the packet's travel: by the clock-corrected time
 * of the client's first packet on each leg. Copies captured in the same microsecond, and copies
 * of a connection the capture joined mid-way, fall back to where the interface sits on the path
 * (ingress / loopback, then the bridge, then the container's port — reversed for traffic leaving
 * a container).
 */
import type { ConnNode } from './conn-node.js';

function ifaceRank(name: string): number {
  if (name === 'lo' || name.startsWith('lo')) return 0;
  if (name.startsWith('veth')) return 3;
  if (name.startsWith('docker') || name.startsWith('br-')) return 2;
  return 1;
}

function isContainerSide(n: ConnNode): boolean {
  const r = ifaceRank(n.iface);
  return r >= 2;
}

/**
 * True when the group carries traffic a container originates (its address is a client on the
 * bridge side only). Loops instead of sets: a group has a handful of legs.
 */
function leavesContainer(nodes: readonly ConnNode[]): boolean {
  let outer = 0;
  for (const o of nodes) {
    if (isContainerSide(o)) continue;
    outer++;
    for (const c of nodes) if (isContainerSide(c) && c.client.ip === o.client.ip) return false;
  }
  return outer > 0;
}

/** A connection the capture joined mid-way: neither handshake, every part without a SYN. */
export function joinedMidway(n: ConnNode): boolean {
  return n.fwdIsn === null && n.revIsn === null && n.parts.every((f) => f.midStream);
}

export function orderGroup(nodes: ConnNode[]): ConnNode[] {
  if (nodes.length === 1) return [nodes[0]];
  let egress: boolean | null = null;
  const cmp = (a: ConnNode, b: ConnNode): number => {
    // A connection the capture joined mid-way: each leg's first packet is wherever its tcpdump
    // started, not the same packet; where the interface sits on the path decides.
    const dt = joinedMidway(a) && joinedMidway(b) ? 0 : a.t0 - b.t0;
    if (dt !== 0) return dt;
    egress ??= leavesContainer(nodes);
    const ra = ifaceRank(a.iface);
    const rb = ifaceRank(b.iface);
    return egress ? rb - ra : ra - rb;
  };
  // Two legs (the common case): the stable sort's order without copying and sorting.
  if (nodes.length === 2) return cmp(nodes[0], nodes[1]) > 0 ? [nodes[1], nodes[0]] : [nodes[0], nodes[1]];
  return nodes.slice().sort(cmp);
}
