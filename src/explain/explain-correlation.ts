import { knownHead } from '../flows/stream-head.js';
import { comparedBytes } from '../correlate/relay.js';
import type { Flow } from '../flows/flow.js';
import { neighborDiscoveryName } from '../flows/link-control.js';
import { isBridgeDevice, isUnnamedInterface, onBridgePort, PACKET_HOST, PACKET_OUTGOING } from '../flows/interface-role.js';
import { NAT_BEFORE_CAPTURE, type ForwardedPacket, type HopTuple, type NatRule } from '../correlate/rules/index.js';
import { HOST_CLIENT_NOTE, LOCAL_DNAT_NOTE, SECOND_DELIVERY_NOTE, type CaptureSummary, type Correlation, type Evidence, type Hop, type IcmpErrorReport } from '../correlate/model.js';
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../decode/linktypes.js';
import { sanitizeText } from '../present/sanitize.js';
import {
  aConversation, addrPortText, conversationNoun, durationText, endpointText, fieldOf, iface, isLoopback, protoText, ruleText, tupleText,
} from './describe.js';

export interface ExplainContext {
  /** True when --rules was given: a missing rule is then a finding, not just unknown. */
  rulesGiven?: boolean;
  /**
   * With --rules: true for an address whose family the rules hold nothing of (IPv6 and an
   * iptables-save dump), where a missing rule is no finding.
   */
  rulesLack?: (ip: string) => boolean;
  /** Interfaces present in the input (display names), to say when the other side was not captured. */
  capturedIfaces?: string[];
  /** An `-i any` capture is among the inputs: every interface of the host was captured. */
  everyInterface?: boolean;
  /**
   * Interfaces the capture shows to be bridge ports (../flows/interface-role.ts): an unnamed
   * `-i any` interface is known for one by any of its flows, not only the one explained.
   */
  bridgePorts?: ReadonlySet<string>;
  /** With --rules: the filter rule that drops a packet the host forwards (rules/attribute-rule.ts forwardDropRule). */
  forwardDrop?: (p: ForwardedPacket) => NatRule | 'policy' | null;
  /** With --rules: the DNAT rule nat PREROUTING applies to a packet received on an interface. */
  dnatFor?: (t: HopTuple, inIface: string) => NatRule | null;
  /**
   * The same capture point's flow recorded in other files (../correlate/correlate.ts
   * unpairedCopies): an `-i any` copy knows which way the packets went, a per-interface pcap not.
   */
  copiesOf?: (f: Flow) => readonly Flow[];
  /** True when --conntrack was given: then it is not suggested, and a missing entry is said. */
  conntrackGiven?: boolean;
  /**
   * With --conntrack: the original tuple of the entry whose reply direction is `seen` reversed,
   * i.e. the connection as it was opened, before NAT (null when no entry has it).
   */
  conntrackOpened?: (seen: HopTuple) => HopTuple | null;
}

/**
 * Plain-language steps (without numbers) for one correlation, built from its flows and hops:
 * which tuple appeared where, what rewrote it, what the server saw, how replies went back.
 * Every statement follows docker-nat-facts.md; what is inferred rather than seen is said so.
 */
export function explainCorrelation(c: Correlation, flows: Map<string, Flow>, ctx: ExplainContext = {}): string[] {
  const legs = c.legs.map((id) => flows.get(id)).filter((f): f is Flow => f !== undefined);
  if (legs.length === 0) return [`The flows of this correlation (${c.legs.join(', ')}) are not in the input.`];
  let steps: string[];
  const link = c.mechanism === 'none' ? [] : linkHeaderSteps(c, legs, flows);
  switch (c.mechanism) {
    case 'userland-proxy': steps = explainProxy(c, legs, flows); break;
    case 'dnat': steps = explainDnat(c, legs, flows, ctx, link); break;
    case 'snat': steps = explainSnat(c, legs, flows, ctx); break;
    case 'dnat+snat': steps = explainDnatSnat(c, legs, flows, ctx); break;
    case 'bridge': steps = explainBridge(legs, ctx, c.notes.some((n) => /helper|synproxy/i.test(n)), c.evidence, link.length > 0); break;
    default: steps = explainUnpaired(legs[0], ctx); break;
  }
  // DNAT tells them where the packet crosses those capture points; elsewhere they follow.
  if (c.mechanism !== 'dnat') steps.push(...link);
  steps.push(...icmpErrorSteps(c, flows, steps));
  steps.push(...noteSteps(c, flows));
  return steps;
}

/** An attached error's flows split into the side that sent it and the side NAT translated it for. */
interface ErrorSides {
  report: IcmpErrorReport;
  /** Copies before any translation (the sender's side), in path order. */
  near: Flow[];
  /** Copies after the translation (outer addresses differ from `near`'s), in path order. */
  far: Flow[];
}

function errorSides(r: IcmpErrorReport, flows: Map<string, Flow>): ErrorSides | null {
  const fs = r.flows.map((id) => flows.get(id)).filter((f): f is Flow => f !== undefined && f.icmp?.inner != null);
  if (fs.length === 0) return null;
  const a = fs[0];
  const near = fs.filter((f) => f.src.ip === a.src.ip && f.dst.ip === a.dst.ip);
  return { report: r, near, far: fs.filter((f) => !near.includes(f)) };
}

function quoteText(f: Flow): string {
  const q = f.icmp!.inner!;
  const ep = (e: { ip: string; port: number }) => (e.port < 0 ? e.ip : e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
  return `${ep(q.src)} → ${ep(q.dst)}`;
}

function errorText(r: IcmpErrorReport, f: Flow): string {
  return `${f.proto === 58 ? 'ICMPv6' : 'ICMP'} ${r.name} (type ${r.type} code ${r.code})`;
}

/**
 * Steps for the ICMP errors attached to a correlation. A container's port unreachable for a
 * datagram the kernel DNATed (the scenario 11 case) replaces the "replies were translated back"
 * step, which would claim replies that never came.
 */
function icmpErrorSteps(c: Correlation, flows: Map<string, Flow>, steps: string[]): string[] {
  const out: string[] = [];
  for (const r of c.icmpErrors ?? []) {
    const sides = errorSides(r, flows);
    if (sides === null) continue;
    const { near, far } = sides;
    const a = near[0];
    const quoted = r.quotes.map((id) => flows.get(id)).filter((f): f is Flow => f !== undefined);
    const replies = c.legs.some((id) => (flows.get(id)?.rev.packets ?? 0) > 0);
    const portUnreachable = a.proto === 1 ? r.type === 3 && r.code === 3 : r.type === 1 && r.code === 4;
    const target = quoted.find((f) => f.iface === a.iface) ?? quoted[0];
    const fromReceiver = target !== undefined && a.src.ip === target.dst.ip;
    const b = far[far.length - 1];
    const translated = b
      ? `Connection tracking recognised the error as belonging to this ${conversationNoun(target?.proto ?? 17).replace(/^TCP |^UDP /, '')} (it quotes its tuple) and reversed the NAT on it, in the outer header and in the header it quotes: on ${iface(b)} it is ${b.src.ip} → ${b.dst.ip}, quoting ${quoteText(b)}.`
      : '';
    if (portUnreachable && fromReceiver && target.proto === 17 && !replies) {
      // Drop the generic reply step written for DNAT: there was no reply, only this error.
      const i = steps.findIndex((x) => x.startsWith('Replies from '));
      if (i >= 0) steps.splice(i, 1);
      out.push(
        `The container refused the datagram: nothing listens on UDP port ${target.dst.port} at ${target.dst.ip} (no socket on that port), so its kernel answered with ${errorText(r, a)}, ` +
        `${a.src.ip} → ${a.dst.ip} on ${listText(near.map(iface))}, quoting the datagram as it arrived (${quoteText(a)}). No reply datagram was sent.`,
      );
      if (b) {
        const q = b.icmp!.inner!;
        out.push(
          `${translated} So the client gets the error from ${b.src.ip}, about its datagram to ${q.dst.ip}:${q.dst.port}: the host address and port it sent to. ` +
          `On ${iface(b)} neither header of the error shows the container's ${target.dst.ip}:${target.dst.port}.`,
        );
      }
      continue;
    }
    out.push(
      `${errorText(r, a)} from ${a.src.ip} to ${a.dst.ip} about this conversation was seen on ${listText(near.map(iface))}, quoting ${quoteText(a)}.` + (translated ? ` ${translated}` : ''),
    );
  }
  return out;
}

/**
 * Hops without NAT where the frame's Ethernet source differs though the tuple and the TTL did not
 * change (15b: docker0's copy carries the bridge's MAC, the container's port the client's): a
 * "forwarded unchanged" would contradict the MAC diff, and a TTL that did not fall says the host
 * did not route it. One sentence per such hop, saying what the packets show.
 */
function linkHeaderSteps(c: Correlation, legs: readonly Flow[], flows: Map<string, Flow>): string[] {
  const out: string[] = [];
  for (const h of c.hops) {
    if (h.mechanism !== 'bridge') continue;
    const mac = fieldOf(h, 'mac');
    const ttl = fieldOf(h, 'ttl');
    const a = flows.get(h.from);
    const b = flows.get(h.to);
    if (mac?.verdict !== 'rewritten' || ttl?.verdict !== 'preserved' || a === undefined || b === undefined) continue;
    const ttlWord = a.src.ip.includes(':') ? 'hop limit' : 'TTL';
    // The MAC the later point shows may be the one the client's frames left with: say so where a
    // capture of the client's first capture point (its leg or a copy of it) shows that MAC.
    const first = [legs[0], ...c.copies.filter((x) => x.sameAs === legs[0].id).map((x) => flows.get(x.flow))];
    const origin = first.find((f) => f !== undefined && f !== b && f.iface !== b.iface && f.fwd.firstMacSrc === mac.to);
    out.push(
      `Between ${iface(a)} and ${iface(b)} the ${ttlWord} stayed ${ttl.from}, so the host did not route the packet there (routing lowers it by one); only the frame's source MAC differs: ${mac.from} on ${iface(a)}, ${mac.to} on ${iface(b)}` +
        `${origin === undefined ? '' : `, the source MAC the client's frames carry on ${iface(origin)}`}.`,
    );
  }
  return out;
}

function hopOf(c: Correlation, mech: string): Hop | undefined {
  return c.hops.find((h) => h.mechanism === mech) ?? c.hops.find((h) => h.mechanism.includes(mech));
}

/**
 * Legs joined to `f` by bridge hops, in path order: `after` f (docker0 → vethX copies) or
 * `before` it (a container's vethX → docker0). Bounded by the hops: a malformed correlation with
 * a bridge cycle must not loop.
 */
function bridgeChain(c: Correlation, f: Flow, flows: Map<string, Flow>, side: 'before' | 'after'): Flow[] {
  const out: Flow[] = [];
  let cur = f.id;
  for (let n = 0; n < c.hops.length; n++) {
    const h = c.hops.find((x) => x.mechanism === 'bridge' && (side === 'after' ? x.from : x.to) === cur);
    const next = h ? flows.get(side === 'after' ? h.to : h.from) : undefined;
    if (!h || !next) break;
    if (side === 'after') out.push(next);
    else out.unshift(next);
    cur = next.id;
  }
  return out;
}

function alsoSeen(copies: Flow[]): string {
  if (copies.length === 0) return '';
  return ` (the same packets also appear on ${copies.map(iface).join(' and ')}, the container's bridge port)`;
}

/** `ip`: any address of the rewritten packet (NAT never changes its family). */
function ruleClause(h: Hop | undefined, what: string, ctx: ExplainContext, ip: string): string {
  if (h?.rule) {
    const also = h.rule.also?.length ? `, then ${h.rule.also.map(ruleText).join(', then ')}` : '';
    return `by the rule${also ? 's' : ''} ${ruleText(h.rule)}${also}`;
  }
  if (ctx.rulesLack?.(ip) === true) return `by ${what} (not named: the rules given are IPv${ip.includes(':') ? 4 : 6} only)`;
  if (ctx.rulesGiven) return `by ${what}; no rule in the ruleset given explains this rewrite`;
  return `by ${what} (inferred from the capture; give --rules to name the rule)`;
}

/**
 * The rule clause for both rewrites of a dnat+snat conversation: one hop with the DNAT rule and
 * the MASQUERADE rule in `also` (no-proxy localhost), or a hairpin's two hops, DNAT then
 * MASQUERADE, each with its own rule. Only when every rewrite has its rule; else as ruleClause.
 */
function natRulesClause(c: Correlation, h: Hop | undefined, what: string, ctx: ExplainContext, ip: string): string {
  const nat = c.hops.filter((x) => x.mechanism === 'dnat' || x.mechanism === 'snat' || x.mechanism === 'dnat+snat');
  if (nat.length < 2 || !nat.every((x) => x.rule)) return ruleClause(h, what, ctx, ip);
  const [first, ...rest] = nat.flatMap((x) => [x.rule!, ...(x.rule!.also ?? [])]);
  // One rule with the others in `also`, as a single dnat+snat hop carries them.
  return ruleClause({ ...nat[0], rule: { ...first, also: rest } }, what, ctx, ip);
}

/** Field, and its name in a sentence: the counters a proxy's second connection has of its own. */
const PROXY_COUNTERS: readonly (readonly [string, string])[] = [['isn', 'sequence numbers'], ['ip-id', 'IP IDs'], ['tsval', 'TCP timestamps']];
/** Field, and its name in a sentence: what a kernel NAT hop carries over unchanged. */
const SAME_FIELDS: readonly (readonly [string, string])[] = [['isn', 'Sequence numbers'], ['ip-id', 'IP ID'], ['tsval', 'TCP timestamps'], ['payload', 'payload']];

/** Names of the fields of `named` whose diff in `h` has the verdict, in `named`'s order. */
function namedFields(h: Hop | undefined, named: readonly (readonly [string, string])[], verdict: string): string[] {
  const out: string[] = [];
  for (const [f, t] of named) if (fieldOf(h, f)?.verdict === verdict) out.push(t);
  return out;
}

/**
 * What a proxy held when the capture joined its transfer mid-way: of the stream whose two copies
 * start furthest apart (the relay's evidence says by how much), the bytes only the side nearer
 * its receiver saw. Null when both copies start at the same byte, or when the nearer side's
 * capture began later (then the difference says nothing of the proxy).
 */
function heldByProxy(c: Correlation): { bytes: number; toClient: boolean; endedAlike: boolean } | null {
  let best: { bytes: number; toClient: boolean; endedAlike: boolean } | null = null;
  for (const e of c.evidence) {
    if (e.kind !== 'payload' || e.offset === undefined || e.offset <= 0) continue;
    // `values`: the bytes each side saw. Longer by just the offset, the copies end alike.
    const endedAlike = e.values !== undefined && Number(e.values[1]) - Number(e.values[0]) === e.offset;
    if (best === null || e.offset > best.bytes) best = { bytes: e.offset, toClient: e.detail.startsWith('server→client'), endedAlike };
  }
  return best;
}

function explainProxy(c: Correlation, legs: Flow[], flows: Map<string, Flow>): string[] {
  const h = hopOf(c, 'userland-proxy');
  const client = (h && flows.get(h.from)) ?? legs[0];
  const upstream = (h && flows.get(h.to)) ?? legs.find((f) => f !== client) ?? legs[legs.length - 1];
  const copies = bridgeChain(c, upstream, flows, 'after');
  const noun = conversationNoun(client.proto);
  // UDP: no connection is accepted; the proxy receives datagrams and sends them on from a socket of its own.
  const udp = client.proto === 17;
  const steps: string[] = [];
  // Each endpoint's and interface's text is written once and used in every sentence that names it.
  const clientSrc = endpointText(client, 'src');
  const clientDst = endpointText(client, 'dst');
  const upSrc = endpointText(upstream, 'src');
  const upDst = endpointText(upstream, 'dst');
  const clientIface = iface(client);
  const upIface = iface(upstream);
  const origins = bridgeChain(c, client, flows, 'before');
  // Both connections already open when the capture began (a keep-alive or pooled client): the
  // relay was recognised by the bytes after it (../correlate/relay.ts), their openings are not in it.
  const opened = client.proto === 6 && client.midStream && upstream.midStream;
  steps.push(
    opened
      ? `The client ${clientSrc} had opened ${aConversation(client.proto)} to ${clientDst} before the capture began (its handshake is not in it); it appears on ${listText([...origins.map(iface), clientIface])}.`
      : `The client ${clientSrc} opened ${aConversation(client.proto)} to ${clientDst}; it appears on ${listText([...origins.map(iface), clientIface])}.`,
  );
  steps.push(udp
    ? `The userland proxy (docker-proxy) listening on UDP port ${client.dst.port} received its datagrams: this exchange ends at the proxy, and nothing in the kernel rewrote it.`
    : `The userland proxy (docker-proxy) listening on port ${client.dst.port} accepted it: this connection ends at the proxy, and nothing in the kernel rewrote it.`);
  // The hop's latency is measured on the interface of its `from` flow; when the client's packet
  // crossed another capture point before (its veth), that one saw it earlier: say which copy.
  const delay = h?.latency != null ? `, ${durationText(h.latency)} after the client's first packet${origins.length > 0 ? ` on ${clientIface}` : ''}` : '';
  // Name only the counters this capture compared (UDP has no sequence numbers, not every TCP stack sends timestamps).
  const unrelated = namedFields(h, PROXY_COUNTERS, 'unrelated');
  const refused = upstream.proto === 6 && (upstream.state === 'rejected' || c.notes.some((n) => /refused/i.test(n)));
  const payload = fieldOf(h, 'payload');
  const held = opened ? heldByProxy(c) : null;
  const carried = refused
    ? 'No payload reached the container: that connection was refused.'
    : payload?.verdict === 'preserved'
      ? held !== null
        ? `Only the payload is carried over, and the capture joined it mid-transfer: when it began, the proxy held ${held.bytes} bytes of the ${held.toClient ? "container's reply" : "client's data"} that had crossed ${held.toClient ? upIface : clientIface} before the capture and crossed ${held.toClient ? clientIface : upIface} after it, so ${held.toClient ? clientIface : upIface}'s copy of that stream starts ${held.bytes} bytes earlier in it. ${held.endedAlike ? 'Both copies end with the same bytes.' : 'The capture stopped before the transfer ended.'}`
        : client.fwd.gapBytes > 0 || upstream.fwd.gapBytes > 0
        // What a cut capture can show: the byte counts, and the first bytes it kept.
        ? comparedBytes(knownHead(client.fwd), knownHead(upstream.fwd)) > 0
          ? 'Only the payload is the same: as many bytes each way, and the first bytes the capture kept (it did not keep them all) match.'
          : 'Only the payload is carried over: as many bytes each way (the capture kept too little of them to compare the bytes).'
        : 'Only the payload bytes are the same.'
      : '';
  steps.push(
    `The proxy ${opened ? 'had then opened' : 'then opened'} a second, separate ${noun} from ${upSrc} to the container at ${upDst}, seen on ${upIface}${alsoSeen(copies)}${opened ? ', before the capture began too' : delay}. ` +
    (unrelated.length ? `Its ${listText(unrelated)} are unrelated to the first ${udp ? 'exchange' : 'connection'}'s. ` : '') + carried,
  );
  steps[steps.length - 1] = steps[steps.length - 1].trimEnd();
  steps.push(`The container therefore saw ${refused ? 'the connection attempt come from' : 'the client as'} ${upstream.src.ip} (the address the proxy ${udp ? 'sent from' : 'connected from'}), not ${client.src.ip}.`);
  if (!refused) {
    // Both connections may be on the same interface (hairpin): name them by their tuples.
    const replied = c.evidence.some((e) => e.kind === 'payload' && e.detail.startsWith('server→client'));
    steps.push(
      udp
        ? `Replies travel back the same way: the container answered the proxy's socket (${upDst} → ${upSrc} on ${upIface}), ` +
          `and the proxy ${replied ? 'sent the same datagrams' : 'relayed them'} to the client from the published port (${clientDst} → ${clientSrc} on ${clientIface}). No reverse NAT is involved.`
        : `Replies travel back the same way: the container answered the proxy over its own connection (${upDst} → ${upSrc} on ${upIface}), ` +
          `and the proxy ${replied ? 'wrote the same bytes' : 'relayed them'} to the client over the client's connection (${clientDst} → ${clientSrc} on ${clientIface}). No reverse NAT is involved.`,
    );
  }
  // The client's packets came in from the bridge the container hangs off: a container calling a
  // published port through the host's address (docker-nat-facts.md §1, hairpin rows).
  if (!isLoopback(client.dst.ip) && (origins.length > 0 || client.iface === upstream.iface)) {
    const self = client.src.ip === upstream.dst.ip;
    steps.push(
      (self
        ? `Here the client is the container ${client.src.ip} itself, reaching its own published port through the host's address ${client.dst.ip} (hairpin). `
        : `Here the client ${client.src.ip} came from the bridge too: a container reaching a published port through the host's address ${client.dst.ip}. `) +
      `Docker's DNAT rule skips packets that arrive from its bridge (${returnRule(upstream)} in the nat table), so with the default userland-proxy=true the proxy, not the kernel, carries this ${udp ? 'exchange' : 'connection'}. ` +
      (self
        ? `(With userland-proxy=false the kernel DNATs it instead, and a hairpin MASQUERADE rule rewrites its source to the bridge's address.)`
        : `(With userland-proxy=false the kernel only DNATs it, and the container sees the client container's own address.)`),
    );
  }
  const v6Client = client.src.ip.includes(':');
  if (v6Client && !upstream.dst.ip.includes(':')) {
    steps.push(crossFamilyStep(client, upstream, udp));
  } else if (isLoopback(client.dst.ip)) {
    steps.push(
      (udp
        ? `This \`localhost:${client.dst.port}\` trace of two UDP exchanges is often explained as DNAT + MASQUERADE. `
        : `This two-stream \`localhost:${client.dst.port}\` trace is often explained as DNAT + MASQUERADE. `) +
      `With Docker's default userland-proxy=true it is not DNAT: Docker's nat OUTPUT rule jumps to its DNAT chain only for destinations outside ${v6Client ? '::1/128 (its ip6tables rule)' : '127.0.0.0/8'}, and the two independent ${udp ? 'UDP exchanges' : 'TCP connections'} above are the userland proxy at work.` +
      // route_localnet, which lets the kernel DNAT 127.0.0.1 to the bridge, has no IPv6 counterpart.
      (v6Client ? '' : ` (With userland-proxy=false the kernel does DNAT and MASQUERADE it, and then nothing appears on lo.)`),
    );
  }
  return steps;
}

/**
 * An IPv6 client relayed to a container's IPv4 address: NAT cannot translate between address
 * families, so this is docker-proxy wherever it was captured. Docker publishes a port on :: as
 * well as 0.0.0.0, and for a container without an IPv6 address it points the IPv6 binding at the
 * container's IPv4 address only when the userland proxy is on (moby/libnetwork
 * drivers/bridge/port_mapping.go, "Fix regression in docker-proxy"); moby#17666 and #44408 are
 * users finding that their containers never see IPv6 clients.
 */
function crossFamilyStep(client: Flow, upstream: Flow, udp: boolean): string {
  const what = udp ? 'exchange' : 'connection';
  const local = isLoopback(client.dst.ip);
  return (
    (local
      ? `The client connected to the IPv6 loopback address ::1 (on a dual-stack host \`localhost\` resolves to ::1 first, and curl tries it before 127.0.0.1), and the container has only an IPv4 address (${upstream.dst.ip}). `
      : `The client used IPv6 and the container has only an IPv4 address (${upstream.dst.ip}). `) +
    `NAT cannot translate between IPv6 and IPv4, so only a proxy can carry this ${what}: Docker publishes the port on [::] too, and for a container without IPv6 that binding is docker-proxy, which dials the container over IPv4. ` +
    `The container can never see an IPv6 client's address this way; to keep it, give the network IPv6 (\`--ipv6\` with ip6tables), so that the kernel DNATs IPv6 to the container's IPv6 address. ` +
    `(Docker's port mapping points an IPv6 binding at an IPv4-only container only while the userland proxy is on: with userland-proxy=false the ${what} to ${client.dst.ip} would be refused${local ? ', and a client that tries every address of localhost falls back to 127.0.0.1, which the kernel DNATs' : ''}.)`
  );
}

function explainDnat(c: Correlation, legs: Flow[], flows: Map<string, Flow>, ctx: ExplainContext, link: readonly string[]): string[] {
  const h = hopOf(c, 'dnat');
  if (h === undefined && c.notes.some((n) => n.startsWith(LOCAL_DNAT_NOTE))) return explainLocalDnat(c, legs[0], flows, ctx);
  const before = (h && flows.get(h.from)) ?? legs[0];
  const after = (h && flows.get(h.to)) ?? legs[legs.length - 1];
  const copies = bridgeChain(c, after, flows, 'after');
  const local = before.iface === 'lo' || isLoopback(before.src.ip);
  const rejected = before.proto === 6 && (before.state === 'rejected' || after.state === 'rejected');
  const steps: string[] = [];
  // Each endpoint's and interface's text is written once and used in every sentence that names it.
  const beforeDst = endpointText(before, 'dst');
  const afterDst = endpointText(after, 'dst');
  const beforeIface = iface(before);
  steps.push(
    `The client ${endpointText(before, 'src')} ${rejected ? 'tried to open' : 'opened'} ${aConversation(before.proto)} to ${beforeDst}; it appears on ${beforeIface} with that original destination` +
    (local ? '.' : ` (tcpdump's copy of an incoming packet is taken before the nat PREROUTING hook, i.e. before DNAT).`),
  );
  steps.push(`In nat ${local ? 'OUTPUT' : 'PREROUTING'}, the kernel rewrote the destination from ${beforeDst} to ${afterDst}, ${ruleClause(h, 'a DNAT rule for the published port', ctx, before.dst.ip)}.`);
  const ttl = fieldOf(h, 'ttl');
  const ttlText = ttl && ttl.from !== ttl.to ? `; ${before.src.ip.includes(':') ? 'hop limit' : 'TTL'} ${ttl.from} → ${ttl.to}, one less because the host routed it` : '';
  steps.push(`The rewritten packet left on ${iface(after)} as ${tupleText(after)}${alsoSeen(copies)}${ttlText}.${sameText(h)}${partialViewText(after, copies)}`);
  steps.push(...link);
  steps.push(`The container saw the real client address ${endpointText(after, 'src')}: DNAT changes only the destination, so the client IP is preserved.`);
  const lost = lostRepliesSteps(legs, ctx);
  if (lost.length > 0) steps.push(...lost);
  else steps.push(
    rejected
      ? `The container refused the connection with RST (nothing listening on ${afterDst}); the kernel translated the RST back (reverse NAT) to come from ${beforeDst}, which is what the client saw on ${beforeIface}.`
      : `Replies from ${afterDst} were translated back by conntrack (reverse NAT) to come from ${beforeDst}, which is what the client saw on ${beforeIface}.`,
  );
  // The client came out of a bridge port: a container calling a published port through the
  // host's address (facts §1; 15a/15b record both modes).
  if (onBridgePort(before) === true && !local) {
    steps.push(
      `Here the client ${before.src.ip} is a container on the bridge, reaching a published port through the host's address ${before.dst.ip}. ` +
        `The kernel DNATs that only with userland-proxy=false, when Docker's DNAT rules also apply to packets from its bridge (there is no ${returnRule(after)} then), and the container sees the client container's own address. ` +
        `(With the default userland-proxy=true the proxy carries it instead, and the container sees the bridge's address.)`,
    );
  }
  return steps;
}

function explainSnat(c: Correlation, legs: Flow[], flows: Map<string, Flow>, ctx: ExplainContext): string[] {
  const h = hopOf(c, 'snat');
  const before = (h && flows.get(h.from)) ?? legs[0];
  const after = (h && flows.get(h.to)) ?? legs[legs.length - 1];
  const icmp = before.proto === 1 || before.proto === 58;
  const oldId = icmp ? before.icmp?.echoId ?? null : before.src.port;
  const newId = icmp ? after.icmp?.echoId ?? null : after.src.port;
  const remapped = oldId !== null && newId !== null && oldId !== newId;
  const what = icmp ? 'echo id' : 'source port';
  const steps: string[] = [];
  // Each endpoint's and interface's text is written once and used in every sentence that names it.
  const beforeSrc = endpointText(before, 'src');
  const afterSrc = endpointText(after, 'src');
  const beforeIface = iface(before);
  // The container's own bridge port (vethX) sees its packets before docker0, and the replies after.
  const origins = bridgeChain(c, before, flows, 'before').map(iface);
  steps.push(`The container ${beforeSrc} opened ${aConversation(before.proto)} to ${endpointText(before, 'dst')}; it appears on ${listText([...origins, beforeIface])}.`);
  const keep = remapped
    ? `and changed the ${what} ${oldId} → ${newId}: another connection already used ${oldId} from ${after.src.ip} to the same destination, so the kernel picked a free one (it keeps the ${what} whenever it is free)`
    : `keeping the ${what}${oldId !== null ? ` ${oldId}` : ''}, which was free`;
  steps.push(`On the way out, in nat POSTROUTING, MASQUERADE rewrote the source address ${before.src.ip} → ${after.src.ip} (the address of the outgoing interface) ${keep}, ${ruleClause(h, 'the MASQUERADE rule for the container subnet', ctx, before.src.ip)}.`);
  steps.push(`It left on ${iface(after)} as ${tupleText(after)}; the server saw the client as ${afterSrc}, the host, not the container.`);
  const lost = lostRepliesSteps(legs, ctx);
  if (lost.length > 0) steps.push(...lost);
  else steps.push(`Replies to ${afterSrc} were mapped back by conntrack (reverse NAT) to ${beforeSrc} and delivered on ${listText([beforeIface, ...origins.reverse()])}.`);
  return steps;
}

function explainDnatSnat(c: Correlation, legs: Flow[], flows: Map<string, Flow>, ctx: ExplainContext): string[] {
  if (legs.length === 1 && legs[0].src.ip === legs[0].dst.ip && !isLoopback(legs[0].src.ip)) return explainHairpinMiddle(legs[0]);
  const h = hopOf(c, 'dnat+snat') ?? c.hops.find((x) => x.mechanism !== 'bridge');
  const full = legs.filter((f) => !f.halfFlow);
  // Path order: the last complete leg is what the server received (both rewrites done).
  const to = full[full.length - 1] ?? legs[legs.length - 1];
  const first = legs[0];
  const preNat = first !== to && !first.halfFlow && first.dst.ip !== to.dst.ip ? first : null;
  // With br_netfilter the replies on docker0 form a half-flow under another tuple (facts §3);
  // its src is the side that opened the connection, i.e. the client before any rewrite.
  const replyHalf = legs.find((f) => f.halfFlow && f.src.ip !== to.src.ip) ?? null;
  const clientEp = preNat ? endpointText(preNat, 'src') : replyHalf ? endpointText(replyHalf, 'src') : null;
  const clientIp = preNat ? preNat.src.ip : replyHalf ? replyHalf.src.ip : null;
  // 14 with userland-proxy=false: the replies name a client address of the host's own (../correlate/describe.ts halfHop).
  const hostClient = !preNat && clientIp !== null && !isLoopback(clientIp) && c.notes.some((n) => n.includes(HOST_CLIENT_NOTE));
  const fromLocal = preNat ? preNat.iface === 'lo' || isLoopback(preNat.src.ip) : clientIp !== null && (isLoopback(clientIp) || hostClient);
  // 14b with --conntrack: the entry found by the reply direction names the address the process
  // connected to, which is on no wire (from this client, and rewritten: else it is not this one).
  // The same for a loopback client (06, 09b, 10b with --conntrack): 127.0.0.1:<published port>.
  const opened = (hostClient || (clientIp !== null && isLoopback(clientIp))) && replyHalf ? ctx.conntrackOpened?.({ proto: to.proto, src: to.src, dst: to.dst }) ?? null : null;
  const openedDst =
    opened !== null && replyHalf !== null && opened.src.ip === replyHalf.src.ip && opened.src.port === replyHalf.src.port && (opened.dst.ip !== to.dst.ip || opened.dst.port !== to.dst.port)
      ? addrPortText(opened.dst.ip, opened.dst.port)
      : null;
  const steps: string[] = [];
  // A connection the container refused was never open (09b).
  const opens = to.proto === 6 && legs.some((f) => f.state === 'rejected') ? 'tried to open' : 'opened';
  if (preNat) {
    steps.push(`The client ${clientEp} opened ${aConversation(preNat.proto)} to ${endpointText(preNat, 'dst')}; it appears on ${iface(preNat)}.`);
  } else if (hostClient && openedDst !== null) {
    steps.push(`A process on this host, ${clientEp}, ${opens} ${aConversation(to.proto)} to ${openedDst}, a port published on one of the host's own addresses (the --conntrack entry shows it). Nothing of it appears on lo: the kernel rewrote the first packet in nat OUTPUT, where Docker's rule sends local destinations to its DNAT chain.`);
  } else if (hostClient) {
    steps.push(`A process on this host, ${clientEp}, ${opens} ${aConversation(to.proto)} to a port published on one of the host's own addresses (most likely ${clientIp} itself). Nothing of it appears on lo: the kernel rewrote the first packet in nat OUTPUT, where Docker's rule sends local destinations to its DNAT chain.`);
  } else if (clientEp) {
    steps.push(`The client ${clientEp} ${opens} ${aConversation(to.proto)} to ${openedDst !== null ? `${openedDst}, a port published on the host (the --conntrack entry shows it)` : 'a port published on the host'}. Nothing of it appears on lo: the kernel rewrote the first packet in nat OUTPUT, before it reached lo (this needs route_localnet=1, which Docker sets for userland-proxy=false).`);
  } else {
    steps.push(`The client opened ${aConversation(to.proto)} to a port published on the host; the capture shows it only after the rewrite.`);
  }
  const origDst = preNat ? endpointText(preNat, 'dst') : openedDst ?? 'the published port';
  // From an address of the host's own, a process may also have connected to the container
  // directly (only MASQUERADE then): without the conntrack entry the DNAT is the likely reading.
  const otherWay = hostClient && openedDst === null
    ? ` That is the likely reading; the one other way to this capture is a process that bound its socket to ${clientIp} and connected to ${endpointText(to, 'dst')} directly, which only MASQUERADE rewrote (\`conntrack -L\`, --conntrack, tells them apart).`
    : '';
  steps.push(`In nat ${fromLocal ? 'OUTPUT' : 'PREROUTING'}, DNAT rewrote the destination from ${origDst} to ${endpointText(to, 'dst')}; in nat POSTROUTING, MASQUERADE rewrote the source to ${endpointText(to, 'src')} ${fromLocal ? '(MASQUERADE of host-originated traffic leaving on the bridge)' : '(the hairpin MASQUERADE: the container is talking to its own published port)'}, ${natRulesClause(c, h, 'DNAT and MASQUERADE rules', ctx, to.dst.ip)}.${otherWay}`);
  for (const mid of full.slice(preNat ? 1 : 0, -1)) {
    if (mid.src.ip === to.src.ip && mid.dst.ip === to.dst.ip) continue;
    steps.push(`Between the two rewrites the packet was captured on ${iface(mid)} as ${tupleText(mid)}.`);
  }
  steps.push(`The packet reached the container on ${iface(to)} as ${tupleText(to)}.`);
  steps.push(`The container saw the client as ${to.src.ip}${clientIp && clientIp !== to.src.ip ? `, not ${clientIp}` : ''}: MASQUERADE replaced the source address.`);
  const refused = to.proto === 6 && legs.some((f) => f.state === 'rejected');
  steps.push(
    refused
      ? `The container refused the connection with RST (nothing listening on ${endpointText(to, 'dst')}); conntrack translated the RST back (both rewrites reversed), so the client was refused by the address it had connected to` +
        (preNat ? '.' : ` (derived: the client's side of the connection is on no capture).`)
      : `Replies were translated back by conntrack (both rewrites reversed), so the client got them from the address it had connected to` +
        (preNat ? '.' : ` (derived: the client's side of the connection is on no capture).`),
  );
  if (replyHalf) {
    const req = legs.find((f) => f.iface === replyHalf.iface && f !== replyHalf) ?? to;
    steps.push(
      `On ${iface(replyHalf)} the replies show a different tuple (${endpointText(replyHalf, 'dst')} → ${endpointText(replyHalf, 'src')}) from the requests (${tupleText(req)}): with br_netfilter, ` +
      `the reverse NAT of the container's replies happens at the bridge hook, before tcpdump on ${iface(replyHalf)} sees them. Both are one connection.`,
    );
  }
  const isn = c.evidence.find((e) => e.kind === 'isn');
  if (isn) steps.push(`This is kernel NAT, not the userland proxy: ${isn.detail}.`);
  return steps;
}

/**
 * A host process calling a published port on one of the host's own addresses (facts §1): DNAT in
 * nat OUTPUT, nothing on lo, and the capture shows only the translated connection on the bridge.
 * Inferred from its initial TTL and its source (describe.ts isLocalOriginDnat).
 */
function explainLocalDnat(c: Correlation, first: Flow, flows: Map<string, Flow>, ctx: ExplainContext): string[] {
  const copies = bridgeChain(c, first, flows, 'after');
  const client = first.src.ip;
  const src = endpointText(first, 'src');
  const dst = endpointText(first, 'dst');
  const where = iface(first);
  // With --conntrack the entry found by the reply direction says what the process connected to:
  // no guess left, and nothing to ask for.
  const opened = ctx.conntrackOpened?.({ proto: first.proto, src: first.src, dst: first.dst }) ?? null;
  const natted = opened !== null && (opened.dst.ip !== first.dst.ip || opened.dst.port !== first.dst.port);
  const openedDst = opened === null ? '' : addrPortText(opened.dst.ip, opened.dst.port);
  const openedTuple = opened === null ? '' : `${addrPortText(opened.src.ip, opened.src.port)} → ${openedDst}`;
  const which = natted
    ? `: the --conntrack entry shows it connected to ${openedDst}.`
    : `, most likely ${client} itself; the one other way to this capture is a process that bound its socket to ${client} and connected to the container directly.`;
  const unseen = `a packet to a local address that nat OUTPUT DNATs never reaches lo.`;
  const where3 = natted
    ? `The address and port it connected to, ${openedDst}, are on no capture point: ${unseen} The --conntrack entry ${openedTuple} holds them as its original tuple.`
    : opened !== null
      ? `The address and port it connected to are on no capture point: ${unseen} The --conntrack entry holds this connection un-NATed, as ${openedTuple}, which contradicts DNAT in nat OUTPUT (see the note).`
      : ctx.conntrackGiven
        ? `The address and port it connected to are on no capture point: ${unseen} The --conntrack dump holds no entry for this connection (entries expire), so they are not known.`
        : `The address and port it connected to are on no capture point: ${unseen} \`conntrack -L\` (--conntrack) shows them as the entry's original tuple.`;
  return [
    `A process on this host opened ${aConversation(first.proto)} that first appears on ${where} as ${src} → ${dst}${alsoSeen(copies)}.`,
    `Its first packet has TTL ${first.fwd.firstTtl} there: this host sent it (a packet forwarded from elsewhere arrives with its TTL one lower). Its source ${client} is not the bridge's own address, which the kernel gives a connection addressed to the container: the route was chosen for another destination, one of this host's own addresses, and Docker's DNAT rule in nat OUTPUT (which sends local destinations outside 127.0.0.0/8 to its DOCKER chain) then rewrote it to ${dst}${ctx.rulesGiven ? '' : ' (inferred from the capture; give --rules to name the rule)'}. That is a host process calling a published port on the host's own address${which}`,
    where3,
    `The container therefore saw the client as ${client}, the host's own address, not the bridge's.`,
    `Replies ${dst} → ${src} on ${where} were translated back by conntrack when they reached the host, so the process got them from the address it had connected to (derived: that copy is on no capture point).`,
    `(With userland-proxy=false Docker also MASQUERADEs connections from the host's own addresses into the bridge: the container would see the bridge's address, 172.17.0.1 on the default bridge, and this capture would show that source instead.)`,
  ];
}

/**
 * A hairpin seen only between its two rewrites (docker0 alone: a pcapng of lo, docker0 and eth0).
 * The copy shows the container as source and destination; the address it was sent to and the
 * address the container received it from are on other capture points, so they are told as
 * derived, never read off this copy (facts §1: DNAT, then the hairpin MASQUERADE to the bridge's
 * address).
 */
function explainHairpinMiddle(mid: Flow): string[] {
  const self = mid.src.ip;
  return [
    `The container ${self} opened ${aConversation(mid.proto)} to one of its own published ports through an address of the host. Only the copy between the two rewrites was captured: on ${iface(mid)}, as ${tupleText(mid)}. The address and port it was sent to are on no capture here (the container's veth would show them).`,
    `In nat PREROUTING, Docker's DNAT rule for the published port rewrote the destination to ${endpointText(mid, 'dst')}, the container itself (inferred: the copy before the rewrite is not captured, so no rule can be matched to it). The copy on ${iface(mid)} was taken after this rewrite and before the next.`,
    `In nat POSTROUTING, the hairpin MASQUERADE rule (source and destination the container, destination port ${mid.dst.port}) rewrote the source from ${self} to the address of ${iface(mid)}, the bridge's gateway (172.17.0.1 on Docker's default bridge; derived, not on this capture), so that the container's replies come back through the host. The packet then reached the container through its veth, which this capture does not include.`,
    `The container therefore saw the client as the bridge's gateway address, not as its own address ${self}.`,
    `Replies were translated back by conntrack (both rewrites reversed), so the client got them from the address it had connected to (derived: those copies are on no capture).`,
  ];
}

/** `seqShifted`: a hop's sequence numbers differ by a constant (told in a step of its own). */
/** `macChanged`: a hop's frames changed source MAC (told in a step of its own): the packet, not "anything", was kept. */
function explainBridge(legs: Flow[], ctx: ExplainContext, seqShifted: boolean, evidence: readonly Evidence[] = [], macChanged = false): string[] {
  const [a, ...rest] = legs;
  const unchanged = macChanged ? 'without rewriting the packet' : 'without rewriting anything';
  // "The Linux bridge" only where a bridge or a bridge port was captured: the same packet also
  // shows up on a host's lo and its NIC (a broadcast), or twice in a test file.
  const bridged = legs.some((l) => isBridgeSide(l, ctx));
  const nd = a.proto === 58 ? neighborDiscoveryName(a.icmp?.type) : null;
  // A run of such packets (several MLD reports from one address) is one correlation: each packet,
  // not the run, is one packet seen at every capture point.
  const packets = a.fwd.packets + a.rev.packets;
  const oneEach = packets > 1 ? `each of its ${packets} packets is one packet seen at ${legs.length} capture points` : `the copies are one packet seen at ${legs.length} capture points`;
  if (nd !== null) {
    // A unicast frame between a container and the host goes between a port and the bridge
    // device (the host's own interface), not between two ports.
    const between = legs.some((l) => isBridgeDevice(l.iface)) && legs.some((l) => isBridgePort(l, ctx))
      ? `carried the frame between ${listText(legs.map((l) => (isBridgePort(l, ctx) ? `${iface(l)} (the container's port)` : isBridgeDevice(l.iface) ? `${iface(l)} (the host's side of the bridge)` : iface(l))))}`
      : 'forwarded the frame between its ports';
    return [
      `Background noise, not a conversation: IPv6 ${nd}, ${tupleText(a)}, appears on ${listText(legs.map(iface))} with the same addresses and payload.`,
      `${bridged ? `The Linux bridge ${isMulticast(a.dst.ip) ? 'flooded the multicast frame to every bridge port' : between} ${unchanged}` : 'Nothing rewrote it'}: ${oneEach}. Link-local control traffic is never routed and never NATed.`,
    ];
  }
  const group = isMulticast(a.dst.ip) ? 'multicast' : a.dst.ip === '255.255.255.255' ? 'broadcast' : null;
  if (group !== null) {
    const what = a.proto === 2 ? `${a.dst.ip === '224.0.0.22' ? 'an IGMPv3 membership report' : 'an IGMP packet'} (${tupleText(a)})` : `${group} ${conversationNoun(a.proto)} ${tupleText(a)}`;
    const never = group === 'multicast' ? 'Multicast' : 'Broadcast';
    return [
      `Background noise, not a conversation: ${what} appears on ${listText(legs.map(iface))} with the same addresses and payload.`,
      bridged
        ? `The Linux bridge flooded the ${group} frame from ${iface(a)} to every bridge port ${unchanged}: ${oneEach}, not retransmissions. ${never} is never NATed.`
        : `Nothing rewrote it: a ${group} packet reaches every capture point on its way (the host's own stack included), so ${oneEach}, not retransmissions. ${never} is never NATed.`,
    ];
  }
  const lost = lostRepliesSteps(legs, ctx, evidence);
  const first = `The ${conversationNoun(a.proto)} ${tupleText(a)} appears on ${listText([a, ...rest].map(iface))} with ${a.proto === 6 ? (seqShifted ? 'the same addresses and ports' : 'the same addresses, ports and sequence numbers') : a.proto === 17 ? 'the same addresses, ports and payload' : 'the same addresses and payload'}.`;
  const routed = routedStep(legs);
  if (routed !== null) return [first, ...routedSteps(legs, routed, ctx), ...lost];
  return [
    first,
    bridged
      ? `The Linux bridge forwarded the frames between ${listText(legs.map((l) => (isBridgePort(l, ctx) ? `${iface(l)} (the container's port)` : iface(l))))} ${unchanged}: the copies are one packet seen at ${legs.length} capture points, not retransmissions.`
      : `Nothing rewrote it between these capture points: the copies are one packet seen at ${legs.length} capture points, not retransmissions, and no NAT is on this path.`,
    ...lost,
  ];
}

/**
 * Where did the replies go: the server answered (its SYN-ACK is on a later capture point) but an
 * earlier one saw no reply at all while the client kept sending its SYN. Only a connection that
 * never opened counts: a later capture point also misses packets that simply took another way
 * (15b: container to container, port to port).
 */
function lostRepliesSteps(legs: readonly Flow[], ctx: ExplainContext, evidence: readonly Evidence[] = []): string[] {
  if (legs[0].proto !== 6) return [];
  // The first capture point, along the path, that saw the replies, and the one before it that
  // did not: they were dropped between the two.
  for (let j = 1; j < legs.length; j++) {
    const b = legs[j];
    if (b.state !== 'syn-received' || b.rev.packets === 0) continue;
    const a = legs[j - 1];
    if (a.fwd.packets === 0 || a.rev.packets > 0) break;
    const again = a.fwd.retransmissions;
    const steps = [
      `The server answered: its replies (${b.rev.packets} packets, SYN-ACKs among them) appear on ${iface(b)}, but none on ${iface(a)}, and the client ${again > 0 ? `sent its SYN ${again} more time${again === 1 ? '' : 's'}` : 'never acknowledged them'}: the host dropped the replies between ${iface(b)} and ${iface(a)}, and the connection never opened.` +
        dropRuleText(a, b, ctx),
    ];
    // An IPv6 connection the host sent (hop limit 64) into the bridge, from an address of the
    // container's own /64: the bridge's, as MASQUERADE picks it.
    const onBridge = isBridgeDevice(a.iface) || (isUnnamedInterface(a.iface) && ctx.bridgePorts?.has(a.iface) !== true);
    // With --conntrack the entry says how the connection was opened (side-inputs.ts).
    const opened = evidence.find((e) => e.kind === 'conntrack' && e.detail.includes(NAT_BEFORE_CAPTURE))?.values?.[0];
    if (onBridge && typeof opened === 'string' && opened.startsWith('[::1]:')) {
      steps.push(
        `Conntrack shows why: the process opened ${opened}; DNAT in nat OUTPUT and MASQUERADE (userland-proxy=false) sent it here as ${tupleText(a)}, and the replies, translated back to ::1, cannot be delivered from the bridge: IPv6 accepts ::1 only on lo and has no route_localnet.`,
      );
    } else if (onBridge && a.fwd.firstTtl === 64 && a.src.ip.includes(':') && prefix64(a.src.ip) === prefix64(a.dst.ip)) {
      steps.push(
        `One known cause fits (derived, not seen in this capture): with userland-proxy=false and IPv6 on the bridge, a host process's call to [::1]:<published port> is DNATed in nat OUTPUT and MASQUERADEd to the bridge's address ${a.src.ip}, and the replies, translated back to ::1, cannot be delivered from the bridge: IPv6 accepts ::1 only on lo and has no route_localnet. --conntrack shows the tuple the process opened.`,
      );
    }
    return steps;
  }
  return [];
}

/** Where the host routed the packet: the leg after which the same tuple shows one TTL lower. */
function routedStep(legs: readonly Flow[]): number | null {
  for (let i = 0; i + 1 < legs.length; i++) {
    const a = legs[i].fwd.firstTtl;
    const b = legs[i + 1].fwd.firstTtl;
    if (a !== null && b !== null && b === a - 1) return i;
  }
  return null;
}

/**
 * The same packet routed between the host's uplink and a bridge without NAT: a network in
 * Docker's routed gateway mode, or one whose masquerading is off. What each end saw follows from
 * no rewrite at all; which Docker settings allow it is said as such, not read off the capture.
 */
function routedSteps(legs: readonly Flow[], i: number, ctx: ExplainContext): string[] {
  const a = legs[0];
  const from = legs[i];
  const to = legs[i + 1];
  const ttlWord = a.src.ip.includes(':') ? 'hop limit' : 'TTL';
  const before = legs.slice(0, i);
  const after = legs.slice(i + 2);
  const bridgeBefore = before.length > 0 && before.every((l) => isBridgeSide(l, ctx)) ? `It reached ${iface(from)} from the container's port (${listText(before.map(iface))}) through the Linux bridge, and the host` : 'The host';
  const bridgeAfter = after.length > 0 && after.every((l) => isBridgeSide(l, ctx)) ? `, and the Linux bridge then forwarded it to the container's port (${listText(after.map(iface))})` : '';
  const steps = [
    `${bridgeBefore} routed it from ${iface(from)} to ${iface(to)} without NAT: nothing was rewritten, only the ${ttlWord} fell by one (${from.fwd.firstTtl} → ${to.fwd.firstTtl}), as routing does${bridgeAfter}. The copies are one packet seen at ${legs.length} capture points, not retransmissions.`,
  ];
  const client = endpointText(a, 'src');
  const server = endpointText(a, 'dst');
  // An unnamed bridge (an -i any capture) is known by the bridge port next to it.
  const toBridge = isBridgeSide(to, ctx) || after.some((l) => isBridgeSide(l, ctx));
  const fromBridge = isBridgeSide(from, ctx) || before.some((l) => isBridgeSide(l, ctx));
  if (toBridge && !fromBridge) {
    steps.push(
      `The container saw the real client address ${client}: the client reached the container's own address ${server} through a route to its network, with no NAT on the way. ` +
        `Docker allows that for a network in routed gateway mode (com.docker.network.bridge.gateway_mode_ipv4=routed), on the ports it opens. In its default NAT mode a client is meant to use a published port on the host's address, which DNAT rewrites; a direct route to the container's address gets through there depending on the version: Docker 27 and earlier let it reach a published container port, Docker 28.0 drops it in raw PREROUTING, and 28.2 can allow it again (allow-direct-routing).`,
    );
  } else if (fromBridge && !toBridge) {
    steps.push(
      `The server ${server} saw the container's own address ${a.src.ip} as the client: nothing MASQUERADEd it, so the network must route replies for ${a.src.ip} back through this host. ` +
        `Docker leaves a container's address unmasqueraded in routed gateway mode (com.docker.network.bridge.gateway_mode_ipv4=routed) or with com.docker.network.bridge.enable_ip_masquerade=false; in its default NAT mode MASQUERADE gives it the host's address.`,
    );
  } else {
    steps.push(`Both ends saw each other's real addresses: no NAT is on this path.`);
  }
  steps.push(`Replies travel back the same way, routed and unchanged.`);
  return steps;
}

/** docker0, a user-defined network's br-<id>, or a container's bridge port. */
function isBridgeSide(f: Flow, ctx: ExplainContext): boolean {
  return isBridgeDevice(f.iface) || isBridgePort(f, ctx);
}

/**
 * Docker's per-bridge rule, named after the bridge the leg was captured on (docker0, or a
 * user-defined network's br-<id>); the default bridge's when only a container's port was captured.
 */
function returnRule(f: Flow): string {
  const bridge = isBridgeDevice(f.iface) ? iface(f) : null;
  // Unnamed (an -i any capture without names): the container may be on a user-defined network.
  return bridge === null ? '`-A DOCKER -i <its bridge> -j RETURN`, docker0 or a network\'s br-<id>,' : `\`-A DOCKER -i ${bridge} -j RETURN\``;
}

/** Why a flow may have no counterpart in the other captures (for the unpaired list). */
export function explainUnpairedFlow(f: Flow, ctx: ExplainContext = {}): string[] {
  return explainUnpaired(f, ctx);
}

function explainUnpaired(f: Flow, ctx: ExplainContext): string[] {
  const steps = [`${protoText(f.proto)} ${tupleText(f)} on ${iface(f)}: ${f.fwd.packets + f.rev.packets} packets, state ${f.state}. No counterpart was found in the other captures.`];
  const unanswered = unansweredRequestSteps(f, ctx) ?? refusedByHostSteps(f, ctx) ?? loopbackRefusedSteps(f);
  if (unanswered !== null) return [...steps, ...unanswered];
  const reasons: string[] = [];
  // A connection already open when the capture began has no handshake in it: a proxy's second
  // connection is found by when it opened and by its bytes from the first one, which the capture
  // holds only in part. Kernel NAT would still show (same packets), so this speaks of the proxy.
  if (f.proto === 6 && f.midStream) {
    reasons.push('the capture began after this connection had opened (its handshake is not in it): if a userland proxy relayed it, its other connection can then be recognised only by what both carried after the capture began (the same whole streams each way, or the same stretch of a transfer, found at one offset in both), and no connection did; capture from before the connection starts, and until it ends');
  }
  const ifaces = ctx.capturedIfaces ?? [];
  // An -i any capture lists only the interfaces that carried packets: one of them is no sign that
  // the others went uncaptured.
  if (ifaces.length <= 1 && ctx.everyInterface !== true) reasons.push('only one interface was captured, so a counterpart on another interface could not be seen');
  const nd = f.proto === 58 ? neighborDiscoveryName(f.icmp?.type) : null;
  if (nd !== null) reasons.push(`it is IPv6 ${nd}, link-local control traffic that is never routed and never NATed`);
  else if (f.dst.ip.startsWith('224.') || f.dst.ip.startsWith('ff0')) reasons.push('it is multicast (for example the IGMPv3 report to 224.0.0.22 the host sends on docker0), which is never NATed');
  else if (isLoopback(f.src.ip) && isLoopback(f.dst.ip)) reasons.push('it is local traffic on the loopback interface (a host process, or a container using host networking), which stays inside the host and needs no rewrite');
  else if (!isBridgeSide(f, ctx)) reasons.push('it may be host traffic or a container using host networking, which uses the host\'s own addresses and needs no rewrite');
  else reasons.push('traffic between containers on the same bridge, or to the host itself, needs no rewrite');
  if (f.state === 'rejected' || f.state === 'syn-sent') reasons.push(`the connection never completed (${f.state}), so there may have been nothing to relay or forward`);
  steps.push(`Possible reasons: ${reasons.join('; ')}.`);
  return steps;
}

/**
 * Which way one side's packets went at the flow's capture point: 'in' (this host received them,
 * addressed to it), 'out' (this host sent them), or null when no capture records it. Copies in
 * other files count: a directory holds per-interface pcaps, which record no direction, beside the
 * `-i any` capture, which does.
 */
function wayOf(f: Flow, side: 'src' | 'dst', ctx: ExplainContext): 'in' | 'out' | null {
  const types: number[] = [];
  for (const x of [f, ...(ctx.copiesOf?.(f) ?? [])]) {
    const byDir = x.sllPktTypesByDir;
    if (byDir == null) continue;
    // A copy's fwd is whichever side it saw first.
    const sameWay = x.src.ip === f.src.ip && x.src.port === f.src.port;
    types.push(...((side === 'src') === sameWay ? byDir.fwd : byDir.rev));
  }
  if (types.length === 0) return null;
  if (types.every((t) => t === PACKET_HOST)) return 'in';
  if (types.every((t) => t === PACKET_OUTGOING)) return 'out';
  return null;
}

/**
 * The interfaces on the bridge side that were captured (docker0 or br-<id>, a container's port),
 * as named in the input; every interface for an `-i any` capture.
 */
function bridgeSideCaptured(ctx: ExplainContext): { named: string[]; every: boolean } {
  const named = (ctx.capturedIfaces ?? []).filter((n) => isBridgeDevice(n) || n.startsWith('veth') || ctx.bridgePorts?.has(n) === true);
  return { named, every: ctx.everyInterface === true };
}

/**
 * A TCP SYN on a host interface, sent again and never answered, of which no copy reached the
 * bridge side although it was captured (21: a DOCKER-USER rule drops the DNATed SYN). Only what
 * the captures show is claimed: when none says which way the SYN went (per-interface pcaps), both
 * readings are given. Null when this is not that case, or the bridge side was not captured.
 */
function unansweredRequestSteps(f: Flow, ctx: ExplainContext): string[] | null {
  if (f.proto !== 6 || f.state !== 'syn-sent' || f.rev.packets > 0 || f.fwd.retransmissions === 0) return null;
  if (f.iface.startsWith('lo') || isLoopback(f.src.ip) || isLoopback(f.dst.ip) || isBridgeSide(f, ctx)) return null;
  const bridge = bridgeSideCaptured(ctx);
  if (bridge.named.length === 0 && !bridge.every) return null;
  const way = wayOf(f, 'src', ctx);
  // This host opened it: a server elsewhere did not answer, nothing of Docker's.
  if (way === 'out') return null;
  const where = iface(f);
  const dst = endpointText(f, 'dst');
  const again = `${f.fwd.retransmissions} more time${f.fwd.retransmissions === 1 ? '' : 's'}`;
  const seenNowhere = noCopyText(bridge);
  const names = bridge.named.map((n) => sanitizeText(n));
  // Per-interface pcaps show only the bridge captured: another network's bridge may not be.
  const notForwarded = bridge.every ? 'the host dropped it without forwarding it anywhere' : `the host did not forward it to ${listText(names)}`;
  // Without a rule in the way a SYN to a port nothing listens on is refused with RST, and one
  // DNATed to a container reaches the bridge: silence means a rule dropped it.
  const causes =
    `most likely a filter rule dropped it: one after Docker's DNAT of a published port (in DOCKER-USER or FORWARD) or, ` +
    `if nothing is published on port ${f.dst.port} of ${f.dst.ip}, one in INPUT (with no rule in the way, the host would have refused it with RST).`;
  const rules = ctx.rulesGiven
    ? (droppedRequestText(f, ctx) !== null ? ' The rules given name the DNAT rule and the rule that dropped it (Inferences).' : '')
    : ' Give --rules to name the rule.';
  if (way === 'in') {
    return [
      `This host received the SYN to ${dst} on ${where} (the -i any capture marks it as addressed to this host) and never answered it; the client sent it ${again}. ` +
        `${upperFirst(seenNowhere)}: ${notForwarded}. ${upperFirst(causes)}${rules}`,
    ];
  }
  return [
    `Its SYN to ${dst} was sent ${again} and never answered on ${where}, and ${seenNowhere}. ` +
      `If it came in on ${where} (a per-interface capture does not record which way a packet went), ${notForwarded}; ${causes}${rules} ` +
      `If this host sent it, ${f.dst.ip} never answered.`,
  ];
}

/** "no copy of it appears on docker0, veth… or any other interface (…)": what the bridge side shows of it. */
function noCopyText(bridge: { named: string[]; every: boolean }): string {
  const names = bridge.named.map((n) => sanitizeText(n));
  // An -i any capture holds every interface: what it shows nowhere else the host sent nowhere.
  return bridge.every
    ? `no copy of it appears on ${names.length > 0 ? `${names.join(', ')} or ` : ''}any other interface (the -i any capture records them all)`
    : `no copy of it appears on ${listText(names)}, which ${names.length === 1 ? 'was' : 'were'} captured`;
}

/**
 * A TCP SYN this host received and answered itself with RST, of which no copy reached the bridge
 * side although it was captured (13b: an IPv6 client of a port published for an IPv4-only
 * container with userland-proxy=false). Only an -i any capture tells who sent the RST: a
 * container's RST, reverse-NATed, also leaves the host from its own address. Null otherwise.
 */
function refusedByHostSteps(f: Flow, ctx: ExplainContext): string[] | null {
  if (f.proto !== 6 || f.state !== 'rejected' || f.resetBy !== 'dst') return null;
  if (f.iface.startsWith('lo') || isLoopback(f.src.ip) || isLoopback(f.dst.ip) || isBridgeSide(f, ctx)) return null;
  const bridge = bridgeSideCaptured(ctx);
  if (bridge.named.length === 0 && !bridge.every) return null;
  if (wayOf(f, 'src', ctx) !== 'in' || wayOf(f, 'dst', ctx) !== 'out') return null;
  const dst = endpointText(f, 'dst');
  const where = iface(f);
  const steps = [
    `This host refused it itself: the SYN to ${dst} came in on ${where} and this host answered it with RST there (the -i any capture marks the SYN as received and the RST as sent by this host), ` +
      `and ${noCopyText(bridge)}. So nothing listened on ${dst} and no NAT rule sent the connection on to a container.`,
  ];
  if (f.dst.ip.includes(':')) {
    // moby/libnetwork drivers/bridge/port_mapping.go: an IPv6 binding points at an IPv4-only
    // container only through docker-proxy (see crossFamilyStep); captures/13b-ipv6-noproxy.
    steps.push(
      `A likely cause, which the capture cannot show: port ${f.dst.port} is published for a container without IPv6 while userland-proxy=false. ` +
        `Docker points a published port's IPv6 binding ([::]:${f.dst.port}) at an IPv4-only container only through docker-proxy; without the proxy nothing listens there, and NAT cannot translate IPv6 into IPv4, so the host refuses IPv6 clients (IPv4 clients of the port are DNATed as usual). ` +
        `To reach the container over IPv6, give its network IPv6 (\`--ipv6\`, with ip6tables) or keep the userland proxy on.`,
    );
  } else {
    steps.push(`Most likely nothing is published on port ${f.dst.port} of ${f.dst.ip}: Docker would have DNATed it to a container or accepted it with docker-proxy.`);
  }
  return steps;
}

/**
 * A loopback connection the host refused (RST from the destination on lo: only this host answers
 * there). Nothing listened on that address and port, and nothing took the connection elsewhere;
 * which Docker setting leaves a published port without a listener there is said as likely only.
 */
function loopbackRefusedSteps(f: Flow): string[] | null {
  if (f.proto !== 6 || f.state !== 'rejected' || f.resetBy !== 'dst') return null;
  // Loopback addresses at both ends: lo, even when an -i any capture did not name it.
  if (!isLoopback(f.src.ip) || !isLoopback(f.dst.ip)) return null;
  const dst = endpointText(f, 'dst');
  const port = f.dst.port;
  return [
    `Refused: this host answered the SYN to ${dst} with RST on ${iface(f)}, so nothing listened on ${dst}, and no rule or proxy took the connection elsewhere.`,
    f.dst.ip.includes(':')
      ? `A likely cause, which the capture cannot show: port ${port} is published for a container without IPv6 while userland-proxy=false. Docker's [::]:${port} binding reaches an IPv4-only container only through docker-proxy, and no NAT rule sends ::1 on, so a client of localhost:${port} that tries ::1 is refused.`
      : `Most likely nothing is published on port ${port}: with userland-proxy=false Docker DNATs a published port in nat OUTPUT before the packet reaches lo, and with the proxy docker-proxy listens there.`,
  ];
}

/**
 * The bridge device saw only part of a connection its container port saw whole (15b: a
 * container's DNATed call to another container on the same bridge; captures/README.md
 * observation 7). Empty when the views agree.
 */
function partialViewText(at: Flow, ports: readonly Flow[]): string {
  const port = ports[ports.length - 1];
  if (port === undefined || !isBridgeDevice(at.iface)) return '';
  const seen = at.fwd.packets + at.rev.packets;
  const whole = port.fwd.packets + port.rev.packets;
  if (seen * 2 > whole) return '';
  return ` But ${iface(at)} shows only ${seen} of the ${whole} packets ${iface(port)} shows${seen <= 2 && at.rev.packets === 0 ? ' (the first)' : ''}: the rest of the connection went from port to port without passing the bridge device, so a capture on ${iface(at)} alone holds a partial view (derived, not seen: br_netfilter sends a packet that waited for the neighbour lookup out through the bridge device, later ones straight to the port).`;
}

function upperFirst(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/**
 * With --rules, where an unanswered connection to a published port went: the DNAT rule nat
 * PREROUTING applies to it, and the filter rule FORWARD then drops it with (toward the one bridge
 * captured). Null when the rules do not show both.
 */
export function droppedRequestText(f: Flow, ctx: ExplainContext): string | null {
  if (f.proto !== 6 || f.state !== 'syn-sent' || ctx.dnatFor === undefined || ctx.forwardDrop === undefined || isBridgeSide(f, ctx) || f.iface.startsWith('lo')) return null;
  const dnat = ctx.dnatFor({ proto: f.proto, src: f.src, dst: f.dst }, f.iface);
  if (dnat === null || dnat.target.kind !== 'dnat' || dnat.target.to.addr === null) return null;
  const bridges = (ctx.capturedIfaces ?? []).filter(isBridgeDevice);
  if (bridges.length !== 1) return null;
  const to = { ip: dnat.target.to.addr, port: dnat.target.to.portLo ?? f.dst.port };
  const drop = ctx.forwardDrop({ proto: f.proto, src: f.src, dst: to, inIface: f.iface, outIface: bridges[0], ctstate: 'NEW' });
  if (drop === null) return null;
  const toText = to.ip.includes(':') ? `[${to.ip}]:${to.port}` : `${to.ip}:${to.port}`;
  const where = drop === 'policy' ? `no rule lets it through FORWARD, whose policy is DROP` : `in FORWARD it then matches ${drop.table} ${drop.chain}: ${drop.text} (${drop.source}:${drop.line})`;
  return `${f.id} (${tupleText(f)} on ${iface(f)}, its SYN unanswered): in --rules, ${dnat.table} ${dnat.chain}: ${dnat.text} (${dnat.source}:${dnat.line}) sends it to ${toText}, and ${where}: the host dropped the request after DNAT, before it reached ${bridges[0]}, which shows nothing of it`;
}

function noteSteps(c: Correlation, flows: Map<string, Flow>): string[] {
  const out: string[] = [];
  let helperSaid = false;
  for (const n of c.notes) {
    const l = n.toLowerCase();
    if (n.startsWith(SECOND_DELIVERY_NOTE)) {
      out.push(...secondDeliverySteps(c, flows));
    } else if (l.includes('helper') || l.includes('synproxy')) {
      // One step for every hop with an offset (a note each): the evidence names each pair.
      if (helperSaid) continue;
      helperSaid = true;
      const evs = c.evidence.filter((e) => e.kind === 'seq' || e.kind === 'seq-offset');
      out.push(`The TCP sequence numbers differ by a constant offset between ${evs.length > 1 ? 'capture points' : 'the two sides'}${evs.length > 0 ? ` (${evs.map((e) => e.detail).join('; ')})` : ''}. Plain NAT never changes them; only conntrack sequence adjustment does, used by NAT helpers (FTP, SIP) and SYNPROXY. Docker installs neither, so a NAT helper or SYNPROXY is suspected on this host.`);
    } else if (l.includes('upstream refused') || l.includes('refused')) {
      out.push(`The proxy accepted the client's connection, but its own connection to the container was refused (RST): nothing was listening on that port in the container. The client's connection was accepted and then closed by the proxy, not refused by the kernel.`);
    }
  }
  return out;
}

/**
 * Copies at another capture point than the leg they repeat: packets the host routed a second time
 * (../correlate/correlate.ts dropSecondDeliveries), facts §3.
 */
function secondDeliverySteps(c: Correlation, flows: Map<string, Flow>): string[] {
  const out: string[] = [];
  for (const x of c.copies) {
    const again = flows.get(x.flow);
    const first = flows.get(x.sameAs);
    if (!again || !first || again.iface === first.iface) continue;
    const ttl = again.fwd.firstTtl;
    out.push(
      `The same packets reached the container a second time on ${iface(again)}, as ${tupleText(again)}${ttl !== null ? ` with TTL ${ttl}` : ''}: ` +
        `the tuple they had on ${iface(first)} before MASQUERADE, one hop more, and the same sequence numbers, IP IDs and payload. ` +
        `They are copies, not another connection and not retransmissions. The host routed the frames again because ${iface(first)} was in promiscuous mode while it was captured (tcpdump without -p); ` +
        `with userland-proxy=false the bridge then hands the hairpin frames back to the host. Capture with -p to see the traffic as it is when nobody captures.`,
    );
  }
  return out;
}

/** IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
function isMulticast(ip: string): boolean {
  const first = Number(ip.split('.')[0]);
  return ip.includes(':') ? ip.toLowerCase().startsWith('ff') : first >= 224 && first <= 239;
}

/** " Sequence numbers, IP ID and payload are unchanged: it is the same packet.", from what the hop compared. */
function sameText(h: Hop | undefined): string {
  const same = namedFields(h, SAME_FIELDS, 'preserved');
  if (same.length === 0) return '';
  const text = listText(same);
  // A capture that kept part of the payload (hop-fields.ts payloadText: "113 B, 30 B captured").
  const partly = same.includes('payload') && /captured$/.test(fieldOf(h, 'payload')?.from ?? '') ? ' (the payload as far as the capture kept it)' : '';
  return ` ${text.charAt(0).toUpperCase()}${text.slice(1)} ${same.length === 1 && (same[0] === 'IP ID' || same[0] === 'payload') ? 'is' : 'are'} unchanged${partly}: it is the same packet.`;
}

/** "a", "a and b", "a, b and c". */
function listText(items: string[]): string {
  return items.length <= 2 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * With --rules, the filter rule that matches the replies the host forwarded from b's interface to
 * a's (not between a bridge and its ports, where the bridge forwards, nor into the host itself).
 * They still carry the server's own address there: reverse NAT of the source comes after FORWARD.
 */
function dropRuleText(a: Flow, b: Flow, ctx: ExplainContext): string {
  if (ctx.forwardDrop === undefined || a.iface === b.iface || a.iface.startsWith('lo') || b.iface.startsWith('lo')) return '';
  if (isBridgePortOrUnknown(a, ctx) || isBridgePortOrUnknown(b, ctx)) return '';
  const rule = ctx.forwardDrop({ proto: b.proto, src: b.dst, dst: b.src, inIface: b.iface, outIface: a.iface, ctstate: 'ESTABLISHED' });
  if (rule === null) return '';
  if (rule === 'policy') return ` No rule in --rules lets them through FORWARD, whose policy is DROP.`;
  return ` In --rules they match ${rule.table} ${rule.chain}: ${rule.text} (${rule.source}:${rule.line}).`;
}

function isBridgePort(f: Flow, ctx: ExplainContext): boolean {
  return onBridgePort(f) === true || ctx.bridgePorts?.has(f.iface) === true;
}

function isBridgePortOrUnknown(f: Flow, ctx: ExplainContext): boolean {
  return onBridgePort(f) !== false || ctx.bridgePorts?.has(f.iface) === true;
}

/** The first four groups of an IPv6 address (its /64), whatever its compressed form. */
function prefix64(ip: string): string {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const h = head === '' ? [] : head.split(':');
  const t = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? h : [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}

/**
 * What the explanations need to know of the inputs: the interfaces they show, and whether one is
 * an `-i any` capture (Linux cooked link types), which holds every interface of the host.
 */
export function captureContext(captures: readonly CaptureSummary[]): Pick<ExplainContext, 'capturedIfaces' | 'everyInterface'> {
  return {
    capturedIfaces: [...new Set(captures.flatMap((c) => c.interfaces))],
    everyInterface: captures.some((c) => c.linktype.includes(LINKTYPE_LINUX_SLL) || c.linktype.includes(LINKTYPE_LINUX_SLL2)),
  };
}
