/**
 * A conversation's tuple in a list cell too narrow for all of it. What a row is about is the side
 * the NAT rewrote: the destination for DNAT and docker-proxy (the published port, then the
 * container's address), the source for MASQUERADE. That side is kept whole; the other loses its
 * port first (a client's ephemeral port says the least), then its address.
 */
import type { RowMechanism } from './list-rows.js';
import { truncate } from './text-fit.js';

/** A tuple as the list shows it: `src` and `dst` as `ip:port` (IPv6 in brackets). */
export interface TupleEnds {
  src: string;
  dst: string;
}

export type KeptSide = 'src' | 'dst';

/** `ip:port` → `ip`; an endpoint without a port (ICMP without an id) unchanged. */
export function hostOf(endpoint: string): string {
  const m = /^(\[[^\]]*\]|[^:]+):\d+$/.exec(endpoint);
  return m ? m[1] : endpoint;
}

/**
 * The side worth keeping when a row's tuples are cut: the source for MASQUERADE (the host's
 * address and the port or ICMP id it chose), else the destination (what the client asked for,
 * where DNAT or docker-proxy took it, or just where an unrewritten flow went).
 */
export function keptSide(mechanism: RowMechanism): KeptSide {
  return mechanism === 'snat' ? 'src' : 'dst';
}

/** `src→dst` in at most `width` characters, `keep` whole as long as it fits at all. */
export function tupleCell(t: TupleEnds, width: number, keep: KeptSide): string {
  const candidates =
    keep === 'dst'
      ? [`${t.src}→${t.dst}`, `${hostOf(t.src)}→${t.dst}`, `…→${t.dst}`]
      : [`${t.src}→${t.dst}`, `${t.src}→${hostOf(t.dst)}`, `${t.src}→…`];
  for (const c of candidates) if (c.length <= width) return c;
  return truncate(candidates[candidates.length - 1], width);
}
