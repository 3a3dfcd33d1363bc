/**
 * natflow's id for a conversation across NAT. A NATed conversation has one Community ID per side
 * (docker-nat-facts §5): Zeek, Suricata or tshark log the outside tuple and the inside tuple as
 * two unrelated connections. The pair id names the conversation itself:
 *
 *   "nf1:" + base64(sha1(the distinct Community IDs of its legs, sorted, joined with "\n"))
 *
 * Capture points that show the same tuple (docker0 and the container's veth, or the docker0 copies
 * of an `-i any` capture) share a Community ID, so the id does not depend on which of them were
 * captured, nor on flow numbering, file order or capture time: the same conversation analyzed
 * from per-interface files, from one `-i any` capture or from a pcapng gets the same id. Like a
 * Community ID, it repeats when every tuple of the conversation is reused. A side that no capture
 * point recorded is not in it, and the id differs then: a hairpin seen only on docker0 shows one of
 * its three tuples.
 */
import { createHash } from 'node:crypto';

export const PAIR_ID_PREFIX = 'nf1:';

export function pairId(communityIds: readonly string[]): string {
  const distinct = [...new Set(communityIds)].sort();
  return PAIR_ID_PREFIX + createHash('sha1').update(distinct.join('\n'), 'utf8').digest('base64');
}
