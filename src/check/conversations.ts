/**
 * What `check` selects and asserts on: conversations. A correlation is one conversation (its legs
 * in path order); an unpaired flow is a conversation of one leg, with no mechanism. Selectors look
 * at the entry leg (what the client did), `reaches` at the final leg.
 */
import type { Analysis, FlowSummary, Hop, Mechanism } from '../correlate/model.js';
import type { ConversationState } from './schema.js';

export interface Conversation {
  /** Correlation id, or the flow id for an uncorrelated flow. */
  id: string;
  correlated: boolean;
  mechanism: Mechanism | null;
  confidence: number | null;
  legs: FlowSummary[];
  hops: Hop[];
  notes: string[];
  /** The destination answered with an ICMP "port unreachable" (or another unreachable) the correlator attached. */
  refusedByIcmp: boolean;
}

/** Destination unreachable: ICMP type 3, ICMPv6 type 1 (the error flow's protocol tells which). */
function isUnreachable(type: number, errorFlow: FlowSummary | undefined): boolean {
  return errorFlow?.proto === 'icmpv6' ? type === 1 : type === 3;
}

export function buildConversations(analysis: Analysis): Conversation[] {
  const flows = new Map<string, FlowSummary>();
  for (const f of analysis.flows) flows.set(f.id, f);
  const out: Conversation[] = [];
  for (const c of analysis.correlations) {
    const legs: FlowSummary[] = [];
    for (const id of c.legs) {
      const f = flows.get(id);
      if (f) legs.push(f);
    }
    // The same legs recorded in another file (c.copies) and the ICMP errors the destination
    // answered with belong to this conversation: they are not conversations of their own.
    let refusedByIcmp = false;
    for (const e of c.icmpErrors ?? []) if (isUnreachable(e.type, flows.get(e.flows[0]))) refusedByIcmp = true;
    if (legs.length === 0) continue;
    out.push({ id: c.id, correlated: true, mechanism: c.mechanism, confidence: c.confidence, legs, hops: c.hops, notes: c.notes, refusedByIcmp });
  }
  // The correlator's own list, as analyze prints it: a connection recorded by several files
  // (lo.pcap, any.pcap, all.pcapng) is one unpaired flow there, its other files' flows being
  // copies of the same capture point. Taking every flow no correlation covers instead counted
  // it once per file. In the flows' order, as before.
  const unpaired = new Set(analysis.unpaired);
  for (const f of analysis.flows) {
    if (!unpaired.has(f.id)) continue;
    out.push({ id: f.id, correlated: false, mechanism: null, confidence: null, legs: [f], hops: [], notes: [], refusedByIcmp: false });
  }
  return out;
}

export function entryLeg(c: Conversation): FlowSummary {
  return c.legs[0];
}

export function finalLeg(c: Conversation): FlowSummary {
  return c.legs[c.legs.length - 1];
}

const DONE_STATES = new Set(['closed-fin', 'half-closed', 'open', 'established', 'mid-stream', 'active', 'timeout']);

/**
 * Whether one of the conversation's connections never got through its handshake. Legs joined by
 * a kernel hop (the same packets at several capture points) are one connection, answered when any
 * of them saw the answer: a capture point may see only the first packet (15b: docker0 shows the
 * SYN of a container's DNATed call to another container, the rest goes from port to port). A
 * proxy's two connections are judged apart: an upstream that never connected is unanswered.
 */
function unansweredConnection(c: Conversation): boolean {
  const group = new Map<string, string>();
  const root = (id: string): string => {
    let r = id;
    for (let p = group.get(r); p !== undefined && p !== r; p = group.get(r)) r = p;
    return r;
  };
  for (const l of c.legs) group.set(l.id, l.id);
  for (const h of c.hops) {
    if (h.mechanism === 'userland-proxy' || !group.has(h.from) || !group.has(h.to)) continue;
    group.set(root(h.from), root(h.to));
  }
  const answered = new Set<string>();
  for (const l of c.legs) if (!UNANSWERED_STATES.has(l.state)) answered.add(root(l.id));
  return c.legs.some((l) => UNANSWERED_STATES.has(l.state) && !answered.has(root(l.id)));
}
const UNANSWERED_STATES = new Set(['syn-sent', 'syn-received']);

/**
 * One word for the whole conversation: a refusal anywhere on the path (the proxy's upstream
 * connection refused while the client's was accepted, or an ICMP unreachable answering a datagram)
 * makes it `refused`; then a reset anywhere;
 * `completed` when every leg got through its handshake (datagram flows count as completed);
 * `unanswered` when a leg never got (or finished) its handshake. An unknown leg state is returned
 * as is, so the report shows what was seen.
 */
export function conversationState(c: Conversation): ConversationState | string {
  const states = c.legs.map((l) => l.state);
  if (states.includes('rejected') || c.refusedByIcmp) return 'refused';
  if (states.includes('reset')) return 'reset';
  if (unansweredConnection(c)) return 'unanswered';
  // A leg still in its handshake is a partial view of a connection another leg saw answered.
  const odd = states.find((s) => !DONE_STATES.has(s) && !UNANSWERED_STATES.has(s));
  return odd ?? 'completed';
}
