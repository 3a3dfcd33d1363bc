/**
 * Orders the legs of one same-packet group along the packet's travel: by the clock-corrected time
 * of the client's first packet on each leg. Copies captured in the same microsecond fall back to
 * where the interface sits on the path (ingress / loopback, then the bridge, then the
 * container's port — reversed for traffic leaving a container).
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

/** True when the group carries traffic a container originates (its address is a client on the bridge side only). */
function leavesContainer(nodes: readonly ConnNode[]): boolean {
  const inner = new Set(nodes.filter(isContainerSide).map((n) => n.client.ip));
  const outer = nodes.filter((n) => !isContainerSide(n));
  return outer.length > 0 && outer.every((n) => !inner.has(n.client.ip));
}

export function orderGroup(nodes: ConnNode[]): ConnNode[] {
  if (nodes.length === 1) return [nodes[0]];
  const egress = leavesContainer(nodes);
  return nodes.slice().sort((a, b) => {
    const dt = a.t0 - b.t0;
    if (dt !== 0) return dt;
    const ra = ifaceRank(a.iface);
    const rb = ifaceRank(b.iface);
    return egress ? rb - ra : ra - rb;
  });
}
