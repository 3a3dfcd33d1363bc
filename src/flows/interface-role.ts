/**
 * What an interface is on a Docker host, from its name or, in an `-i any` capture without names
 * (`if<N>`), from its packets.
 */
import type { Flow } from './flow.js';

/** Linux cooked packet type of a frame received addressed to this host (its MAC). */
export const PACKET_HOST = 0;
/** Linux cooked v2 packet type of a frame that reached an interface addressed to another MAC. */
const PACKET_OTHERHOST = 3;
/** Linux cooked packet type of a frame this host sent. */
export const PACKET_OUTGOING = 4;

/** Docker's default bridge, or a user-defined network's (`br-<network id>`, as compose makes it). */
export function isBridgeDevice(name: string): boolean {
  return name === 'docker0' || name.startsWith('br-');
}

/** A name natflow made up for an SLL2 interface index nobody named (see interface-names.ts). */
export function isUnnamedInterface(name: string): boolean {
  return /^if\d+$/.test(name);
}

/**
 * Whether the flow was captured on a bridge port (a container's veth): by name, or on an unnamed
 * `-i any` interface by what only a bridge port shows there. A container's frames reach its veth
 * addressed to the bridge's MAC, not the veth's, so the kernel marks them "other host"; the bridge
 * itself, eth0 and lo receive only frames addressed to them (tcpdump cannot make `any`
 * promiscuous). Null when neither the name nor the packets tell.
 */
export function onBridgePort(f: Pick<Flow, 'iface' | 'sllPktTypes'>): boolean | null {
  if (f.iface.startsWith('veth')) return true;
  if (!isUnnamedInterface(f.iface)) return false;
  if (f.sllPktTypes.length === 0) return null;
  return f.sllPktTypes.includes(PACKET_OTHERHOST);
}
