/**
 * The correlator: flows from every capture point → conversations across NAT and proxies.
 *
 *   1. connection nodes (half-flows joined)              ./conn-node.ts
 *   2. same-packet candidates from hash buckets          ./candidate-index.ts
 *   3. same-packet verification                          ./same-packet.ts
 *   4. per-file clock offsets, then a time-window check  ./clock-offset.ts
 *   5. relay pairing between the resulting groups        ./relay.ts
 *   6. legs ordered along the path, hops, evidence       ./path-order.ts, ./hop-fields.ts, ./describe.ts
 *   7. ICMP errors joined to the conversation they quote ./icmp-errors.ts
 */
import type { Flow } from '../flows/flow.js';
import { isUnnamedInterface, onBridgePort } from '../flows/interface-role.js';
import { isLinkControl } from '../flows/link-control.js';
import { isBackgroundNoise } from './link-scope.js';
import { SECOND_DELIVERY_NOTE, type Analysis, type CaptureSummary, type Correlation } from './model.js';
import { buildNodes, firstTtl, PROTO_TCP, PROTO_UDP, sameEndpoint, type ConnNode } from './conn-node.js';
import { samePacketCandidates } from './candidate-index.js';
import { DeltaPool, MatchIndex, matchSamePacket, pairOffsetUs, type SamePacketMatch } from './same-packet.js';
import { appliedOffsetUs, estimateOffsets } from './clock-offset.js';
import { anyCut, isRelayCandidate, matchRelays, relayEnd, streamKeyOf, type RelayEnd, type RelayMatch } from './relay.js';
import { orderGroup } from './path-order.js';
import { UnionFind } from './union-find.js';
import { buildCorrelation, DetailsContext, isSelfHairpin, type Segment } from './describe.js';
import { defineFlowSummaries } from './flow-summaries.js';
import type { HopToAttribute } from './rules/attribute-rule.js';
import { LazyCorrelation, type Explainer } from './lazy-correlation.js';
import { defineLazy } from './lazy-field.js';
import { attachableErrors, buildReport, planReports } from './icmp-errors.js';

export type CaptureInput = Omit<CaptureSummary, 'clockOffset' | 'clockOffsetBasis'>;

export interface CorrelateOptions {
  version?: string;
  /** Largest |residual| between two copies of one packet after clock correction, microseconds (default 2 s). */
  samePacketWindowUs?: number;
}

/** Internal result, before the explainer and side inputs fill in their parts. */
export interface Correlated {
  analysis: Analysis;
  /** Flow id → flow, for the explainer. */
  flowsById: Map<string, Flow>;
  /** A correlation's hops as the rules module sees them (same order as `hops`). */
  hopTuples: (c: Correlation) => HopToAttribute[];
  /** Sets what writes the correlations' explanations (on first read of each). */
  explainWith: (explain: (c: Correlation) => string[]) => void;
  /** Interfaces whose packets show them to be bridge ports (../flows/interface-role.ts). */
  bridgePorts: ReadonlySet<string>;
  /**
   * Unpaired flow id → the ids of the same capture point's flow recorded in other files: an
   * `-i any` copy knows which way its packets went, which a per-interface pcap does not record.
   */
  unpairedCopies: ReadonlyMap<string, readonly string[]>;
}

export function correlate(flows: readonly Flow[], captures: readonly CaptureInput[], opts: CorrelateOptions = {}): Correlated {
  const window = opts.samePacketWindowUs ?? 2_000_000;
  const files = captures.map((c) => c.file);
  const known = new Set(files);
  let lastFile: string | null = null;
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i];
    // Flows of one file share its name string: skip the set for runs of the same file.
    if (f.file === lastFile) continue;
    lastFile = f.file;
    if (!known.has(f.file)) {
      known.add(f.file);
      files.push(f.file);
    }
  }
  const fileIndex = new Map(files.map((f, i) => [f, i]));

  const { nodes, joined } = buildNodes(flows, fileIndex);

  const raw: SamePacketMatch[] = [];
  const cands = samePacketCandidates(nodes);
  const deltas = new DeltaPool();
  for (let i = 0; i < cands.length; i += 2) {
    const m = matchSamePacket(nodes[cands[i]], nodes[cands[i + 1]], deltas);
    if (m) raw.push(m);
  }
  const offsets = estimateOffsets(files, nodes, raw, deltas);
  const offUs = (n: ConnNode): number => appliedOffsetUs(offsets[n.fileIdx]);
  for (let i = 0; i < nodes.length; i++) nodes[i].t0 = nodes[i].firstUs - offUs(nodes[i]);
  const matches = raw.filter((m) => {
    const r = pairOffsetUs(m) - (offUs(nodes[m.b]) - offUs(nodes[m.a]));
    return Math.abs(r) <= window;
  });

  // Same-packet groups.
  const uf = new UnionFind(nodes.length);
  for (let i = 0; i < matches.length; i++) uf.union(matches[i].a, matches[i].b);
  // Group ids are union-find roots (node indices); `groupIds` lists them in order of first node.
  const groupNodes: Array<ConnNode[] | undefined> = new Array(nodes.length);
  const groupIds: number[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const g = uf.find(n.idx);
    const l = groupNodes[g];
    if (l) l.push(n);
    else {
      groupNodes[g] = [n];
      groupIds.push(g);
    }
  }
  const matchOf = new MatchIndex(nodes.length, matches);
  const kernelNat = new Uint8Array(nodes.length);
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    const x = nodes[m.a];
    const y = nodes[m.b];
    if (!sameEndpoint(x.client, y.client) || !sameEndpoint(x.server, y.server)) kernelNat[uf.find(m.a)] = 1;
  }
  for (let i = 0; i < nodes.length; i++) if (nodes[i].parts.length > 1) kernelNat[uf.find(i)] = 1;

  // Relays between groups that kernel NAT did not touch (a proxy terminates TCP; NAT never does).
  const ends: RelayEnd[] = [];
  for (let i = 0; i < groupIds.length; i++) {
    const g = groupIds[i];
    const ns = groupNodes[g]!;
    if (kernelNat[g] === 1 || !ns.every(isRelayCandidate)) continue;
    let rep = ns[0];
    for (const n of ns) if (n.samples > rep.samples) rep = n;
    ends.push(relayEnd(g, rep, offUs(rep), ns));
  }
  const relays = matchRelays(ends);
  const relayDown: Array<RelayMatch | undefined> = new Array(nodes.length);
  const relayed = new Uint8Array(nodes.length);
  for (let i = 0; i < relays.length; i++) {
    const r = relays[i];
    relayDown[r.up.group] = r;
    relayed[r.down.group] = 1;
  }
  const identicalStreams = countIdenticalStreams(ends);
  const fileOffsetUs = new Float64Array(files.length);
  for (let i = 0; i < files.length; i++) fileOffsetUs[i] = appliedOffsetUs(offsets[i]);
  const details = new DetailsContext(fileIndex, fileOffsetUs, identicalStreams);

  const correlations: Correlation[] = [];
  const duplicates: Duplicate[] = [];
  const redelivered: Duplicate[] = [];
  // Joined half-flows among the legs: the same join seen again in another file is a copy, not
  // another connection with two tuples.
  let joinedLegs = 0;
  let joinedUdpLegs = 0;
  const unpairedCopies: string[] = [];
  const copiesOfUnpaired = new Map<string, string[]>();
  const explainer: Explainer = { explain: null };
  // Relayed UDP exchanges, for the inference's wording (no connections to speak of).
  let proxiedUdp = 0;
  // Paired flows by position in `flows` (see ConnNode.flow0 / flow1).
  const paired = new Uint8Array(flows.length);
  const pair = (n: ConnNode): void => {
    paired[n.flow0] = 1;
    if (n.flow1 >= 0) paired[n.flow1] = 1;
  };
  /**
   * Nodes that repeat a leg's packets become the correlation's copies (paired, not legs), named in
   * one note for all of them: a directory with per-interface files and an -i any capture has many.
   * `withIface`: the note names the interface each copy was seen on (it differs from its leg's).
   */
  const addCopies = (c: Correlation, list: Duplicate[], note: string, withIface: boolean): void => {
    if (list.length === 0) return;
    const named: string[] = [];
    for (const d of list.splice(0)) {
      pair(d.node);
      for (const p of d.node.parts) c.copies.push({ flow: p.id, sameAs: d.of.parts[0].id });
      named.push(`${d.node.parts.map((p) => p.id).join('+')}${withIface ? ` on ${d.node.iface}` : ''} = ${d.of.parts[0].id} (${d.of.iface})`);
    }
    c.notes.push(`${note}: ${named.join(', ')}`);
  };
  const heads = groupIds.filter((g) => relayed[g] === 0);
  const startOf = new Float64Array(nodes.length);
  for (let i = 0; i < heads.length; i++) startOf[heads[i]] = minT0(groupNodes[heads[i]]!);
  heads.sort((a, b) => startOf[a] - startOf[b]);
  // ICMP errors about a conversation join its correlation (step 7) instead of standing alone.
  const errors = attachableErrors({
    flows,
    nodes,
    groupIds,
    groupNodes,
    groupOf: (i) => uf.find(i),
    heads,
    next: (g) => relayDown[g]?.down.group,
    hasCounterpart: (h) => chainHasCounterpart(h, groupNodes, relayDown),
    split: (g) => {
      const repeats: Duplicate[] = [];
      return { kept: dropRepeatedCapturePoints(orderGroup(groupNodes[g]!), repeats), repeats };
    },
  });
  const errorTarget = new Map<number, LazyCorrelation>();
  const noise: LazyCorrelation[] = [];
  for (let h = 0; h < heads.length; h++) {
    const head = heads[h];
    if (errors.attached.has(head)) continue;
    const segments: Segment[] = [];
    let g: number | undefined = head;
    let via: RelayMatch | null = null;
    while (g !== undefined) {
      const ns = groupNodes[g]!;
      // A lone node needs no ordering (nothing below changes a segment's array).
      const kept = ns.length === 1 ? ns : dropSecondDeliveries(dropRepeatedCapturePoints(orderGroup(ns), duplicates), redelivered);
      segments.push({ nodes: kept, relayFromPrevious: via });
      via = relayDown[g] ?? null;
      g = via ? via.down.group : undefined;
    }
    const total = segments.reduce((s, x) => s + x.nodes.length, 0);
    const single = segments[0].nodes[0];
    if (total === 1 && single.parts.length === 1 && !isSelfHairpin(single)) {
      // No counterpart: the flow stays unpaired, once. Its copies from other files are the same
      // capture point, not more unpaired flows (and must not spill into the next correlation).
      for (const d of duplicates.length === 0 ? duplicates : duplicates.splice(0)) {
        pair(d.node);
        for (const p of d.node.parts) {
          unpairedCopies.push(`${p.id} = ${single.parts[0].id}`);
          const list = copiesOfUnpaired.get(single.parts[0].id);
          if (list === undefined) copiesOfUnpaired.set(single.parts[0].id, [p.id]);
          else list.push(p.id);
        }
      }
      continue;
    }
    const c = buildCorrelation(`c${correlations.length + noise.length + 1}`, segments, matchOf, details, explainer);
    addCopies(c, duplicates, 'also recorded in another file, not separate legs', false);
    addCopies(c, redelivered, SECOND_DELIVERY_NOTE, true);
    // The legs are exactly the parts of the kept nodes.
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s];
      for (let k = 0; k < seg.nodes.length; k++) {
        const n = seg.nodes[k];
        pair(n);
        if (n.parts.length > 1) {
          if (n.proto === PROTO_UDP) joinedUdpLegs++;
          else joinedLegs++;
        }
      }
    }
    if (c.mechanism === 'userland-proxy' && single.proto === PROTO_UDP) proxiedUdp++;
    (isBackgroundNoise(c.mechanism, isLinkControl(single.parts[0]), single.parts[0].dst.ip) ? noise : correlations).push(c);
    if (errors.byHead.has(head)) errorTarget.set(head, c);
  }
  // Background noise after the conversations, numbered after them: the summary leads with the
  // conversations and counts the noise apart, and a list that opened with an IGMP report as c1
  // put the conversation the user came for at c2.
  if (noise.length > 0) {
    correlations.push(...noise);
    for (let i = 0; i < correlations.length; i++) correlations[i].id = `c${i + 1}`;
  }
  for (const [head, groups] of errors.byHead) {
    const c = errorTarget.get(head)!;
    const legOf = new Map(c.copies.map((x) => [x.flow, x.sameAs]));
    const copied: string[] = [];
    for (const plan of planReports(groups, window)) {
      const { report, evidence } = buildReport(plan, (id) => legOf.get(id) ?? id);
      c.addIcmpError(report, evidence);
      for (const g of plan.groups) for (const n of g.nodes) pair(n);
      for (const x of report.copies) copied.push(`${x.flow} = ${x.sameAs}`);
    }
    if (copied.length > 0) c.notes.push(`ICMP error also recorded in another file, not separate capture points: ${copied.join(', ')}`);
  }
  for (const n of errors.repeats) pair(n);

  const unpaired: string[] = [];
  for (let i = 0; i < flows.length; i++) if (paired[i] === 0) unpaired.push(flows[i].id);
  const captureSummaries: CaptureSummary[] = captures.map((c, i) => ({
    ...c,
    // Under 1 ms the files share a clock (the basis keeps the measured value): report 0.
    clockOffset: offsets[i]?.offsetUs === null || offsets[i] === undefined ? null : round6(appliedOffsetUs(offsets[i]) / 1e6),
    clockOffsetBasis: offsets[i]?.basis ?? null,
  }));

  const inferences: string[] = [];
  if (joined > 0) {
    const n = joinedLegs > 0 || joinedUdpLegs > 0 ? joinedLegs : joined;
    if (n > 0) {
      inferences.push(
        `${n} TCP connection${n === 1 ? '' : 's'} showed two tuples on one interface (replies reverse-NATed at the bridge hook, br_netfilter) and ${n === 1 ? 'was' : 'were'} joined by ISN/ack`,
      );
    }
    if (joinedUdpLegs > 0) {
      inferences.push(
        `${joinedUdpLegs} UDP exchange${joinedUdpLegs === 1 ? '' : 's'} showed two tuples on one interface (answers reverse-NATed at the bridge hook to a loopback address) and ${joinedUdpLegs === 1 ? 'was' : 'were'} joined by ports`,
      );
    }
  }
  if (unpairedCopies.length > 0) {
    inferences.push(`unpaired flows recorded in more than one file are listed once; the other copies: ${unpairedCopies.join(', ')}`);
  }
  const proxied = correlations.filter((c) => c.mechanism === 'userland-proxy');
  if (proxied.length > 0) {
    const udp = proxiedUdp;
    const tcp = proxied.length - udp;
    const parts = [
      ...(tcp > 0 ? [`${tcp} conversation${tcp === 1 ? '' : 's'} relayed as two TCP connections`] : []),
      ...(udp > 0 ? [`${udp} UDP exchange${udp === 1 ? '' : 's'} relayed from a new proxy socket`] : []),
    ];
    inferences.push(`userland proxy in use: ${parts.join(', ')} (docker-proxy, userland-proxy=true)`);
  }
  const bridgePorts = new Set<string>();
  for (const f of flows) if (!bridgePorts.has(f.iface) && onBridgePort(f) === true) bridgePorts.add(f.iface);
  const unnamed = unnamedInterfacesNote(captureSummaries, bridgePorts);
  if (unnamed !== null) inferences.push(unnamed);
  const cut = captureSummaries.filter((c) => c.packetsCut > 0);
  if (cut.length > 0) inferences.push(cutCapturesText(cut));
  const holes = streamsWithHoles(flows, new Set(cut.map((c) => c.file)));
  if (holes !== null) inferences.push(holes);
  const multiFile = captureSummaries.filter((c, i) => appliedOffsetUs(offsets[i]) !== 0);
  for (const c of multiFile) inferences.push(`clock of ${c.file} is ${fmtOffset(c.clockOffset!)} against the reference (${c.clockOffsetBasis}); corrected before timing decisions`);

  const analysis: Analysis = {
    version: opts.version ?? '0.0.0',
    captures: captureSummaries,
    flows: [],
    correlations,
    unpaired,
    summary: '',
    inferences,
  };
  return finish(analysis, flows, explainer, bridgePorts, copiesOfUnpaired);
}

/**
 * The result's closures, made outside `correlate`: closures made there would share its scope,
 * and keep every connection node, match and group list alive as long as the analysis.
 */
function finish(
  analysis: Analysis, flows: readonly Flow[], explainer: Explainer, bridgePorts: ReadonlySet<string>, unpairedCopies: ReadonlyMap<string, readonly string[]>,
): Correlated {
  // Flow summaries are text for presenters: written when first read.
  defineFlowSummaries(analysis, () => flows);
  const out: Correlated = {
    analysis,
    flowsById: new Map(),
    hopTuples: (c) => (c instanceof LazyCorrelation ? c.hopTuples() : []),
    explainWith: (explain) => {
      explainer.explain = explain;
    },
    bridgePorts,
    unpairedCopies,
  };
  // For the explainer and the presenters' flow lookups, built when first used.
  defineLazy(out, 'flowsById', () => new Map(flows.map((f) => [f.id, f])));
  return out;
}

/** As the correlation loop decides it: whether the chain from this head has more than a lone flow. */
function chainHasCounterpart(head: number, groupNodes: ReadonlyArray<ConnNode[] | undefined>, relayDown: ReadonlyArray<RelayMatch | undefined>): boolean {
  if (relayDown[head] !== undefined) return true;
  const scratch: Duplicate[] = [];
  const kept = dropRepeatedCapturePoints(orderGroup(groupNodes[head]!), scratch);
  if (kept.length > 1) return true;
  return kept[0].parts.length > 1 || isSelfHairpin(kept[0]);
}

function minT0(ns: ConnNode[]): number {
  let m = Infinity;
  for (const n of ns) if (n.t0 < m) m = n.t0;
  return m;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * Captures that kept only the first bytes of packets (`tcpdump -s 96`): say so once, with what it
 * changes: payload digests cover different pieces, so relayed streams are compared by length.
 */
function cutCapturesText(cut: readonly CaptureSummary[]): string {
  const each = cut.map((c) => `${c.file} ${c.packetsCut} of ${c.packets} packet${c.packets === 1 ? '' : 's'}${c.snaplen !== null ? ` to ${c.snaplen} bytes` : ''}`);
  return `the capture cut packets short (snaplen): ${each.join(', ')}; payload was compared as far as it was kept, and relayed streams by their length (from TCP sequence numbers) and their first bytes`;
}

/**
 * TCP streams with bytes no capture point recorded (sequence numbers skip them: packets the
 * capture dropped or missed), in files that cut no packet short (a snaplen explains those).
 * Their payload is compared as far as it was seen, as for a cut capture.
 */
function streamsWithHoles(flows: readonly Flow[], cutFiles: ReadonlySet<string>): string | null {
  const perFile = new Map<string, number>();
  for (const f of flows) {
    if (f.proto !== PROTO_TCP || cutFiles.has(f.file) || (f.fwd.gapBytes === 0 && f.rev.gapBytes === 0)) continue;
    perFile.set(f.file, (perFile.get(f.file) ?? 0) + 1);
  }
  if (perFile.size === 0) return null;
  const each = [...perFile].map(([file, n]) => `${n} connection${n === 1 ? '' : 's'} in ${file}`);
  return `the capture missed packets (sequence numbers skip bytes no packet carried): ${each.join(', ')}; tcpdump counts what it dropped ("dropped by kernel"); payload was compared as far as it was seen, relayed streams by their length and first bytes`;
}

function fmtOffset(s: number): string {
  return `${s >= 0 ? '+' : ''}${s.toFixed(6)} s`;
}

/**
 * How many relay ends share each client→server stream (health checks and the like), keyed as the
 * relay buckets them (streamKeyOf): by digest, or by length once a capture cut streams short.
 */
function countIdenticalStreams(ends: readonly RelayEnd[]): Map<string, number> {
  const m = new Map<string, number>();
  const byLength = anyCut(ends);
  for (const e of ends) {
    if (e.node.proto !== PROTO_TCP && e.node.proto !== PROTO_UDP) continue;
    const key = byLength ? (e.fwdBytes > 0 ? streamKeyOf(e, true, 'fwd') : null) : e.fwdDigest;
    if (key === null) continue;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

interface Duplicate {
  node: ConnNode;
  of: ConnNode;
}

/**
 * A later leg that shows an earlier leg's tuple again, at another capture point, after a rewrite
 * in between and with the TTL one lower: the same packets routed by the host a second time. NAT
 * along one path never restores a tuple it rewrote. Observed with userland-proxy=false when
 * docker0 was captured without -p: the promiscuous bridge hands the hairpin frames to the host
 * again, which routes them to the container once more under the pre-MASQUERADE tuple
 * (docker-nat-facts §3). As a leg, that copy read as a rewrite back to the client's own address.
 * Returns the legs kept, in order; the second deliveries are appended to `dropped`.
 */
function dropSecondDeliveries(nodes: ConnNode[], dropped: Duplicate[]): ConnNode[] {
  if (nodes.length < 3) return nodes;
  const kept: ConnNode[] = [];
  for (const n of nodes) {
    let of: ConnNode | null = null;
    for (let j = 0; j + 1 < kept.length && of === null; j++) {
      const k = kept[j];
      if (k.iface === n.iface || !sameEndpoint(k.client, n.client) || !sameEndpoint(k.server, n.server)) continue;
      const rewrittenSince = kept.slice(j + 1).some((m) => !sameEndpoint(m.client, k.client) || !sameEndpoint(m.server, k.server));
      const ttl = firstTtl(n);
      const earlier = firstTtl(k);
      if (rewrittenSince && ttl !== null && earlier !== null && ttl === earlier - 1) of = k;
    }
    if (of !== null) dropped.push({ node: n, of });
    else kept.push(n);
  }
  return kept;
}


/**
 * The same interface recorded in two files (e.g. a directory holding eth0.pcap and all.pcapng)
 * gives identical copies under the same interface name: keep the first as the leg, report the
 * others. Unnamed SLL2 interfaces (`ifN`) are left alone: which named one they are cannot be told
 * from timestamps (each capture process stamps its own copy), so --links must name them.
 * Returns the legs kept, in order; the copies are appended to `dropped`.
 */
function dropRepeatedCapturePoints(nodes: ConnNode[], dropped: Duplicate[]): ConnNode[] {
  if (nodes.length === 1) return nodes;
  const kept: ConnNode[] = [];
  const from = dropped.length;
  for (const n of nodes) {
    const at = kept.findIndex(
      (k) => k.file !== n.file && k.iface === n.iface && k.parts.length === n.parts.length && sameEndpoint(k.client, n.client) && sameEndpoint(k.server, n.server),
    );
    if (at < 0) {
      kept.push(n);
      continue;
    }
    const twin = kept[at];
    // Copies cut at other lengths (an Ethernet pcap and an -i any capture, both with a snaplen):
    // the leg is the one that kept more of the payload (its HTTP line, its stream).
    if (capturedBytes(n) > capturedBytes(twin)) {
      kept[at] = n;
      for (let i = from; i < dropped.length; i++) if (dropped[i].of === twin) dropped[i].of = n;
      dropped.push({ node: twin, of: n });
    } else dropped.push({ node: n, of: twin });
  }
  return kept;
}

function capturedBytes(n: ConnNode): number {
  let b = 0;
  for (const f of n.parts) b += f.fwd.streamBytes + f.rev.streamBytes;
  return b;
}

/**
 * An `-i any` capture without --links names its interfaces by index only: say so, how to name
 * them, and which ones the packets show to be bridge ports (what the explanations relied on).
 */
function unnamedInterfacesNote(captures: readonly CaptureSummary[], bridgePorts: ReadonlySet<string>): string | null {
  const unnamed = [...new Set(captures.flatMap((c) => c.interfaces))].filter(isUnnamedInterface);
  if (unnamed.length === 0) return null;
  const ports = [...bridgePorts].filter(isUnnamedInterface);
  const byIndex = (a: string, b: string): number => Number(a.slice(2)) - Number(b.slice(2));
  const list = (xs: string[]): string => (xs.length === 1 ? xs[0] : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  const portList = ports.sort(byIndex);
  return (
    `interface${unnamed.length === 1 ? '' : 's'} ${list(unnamed.sort(byIndex))} ${unnamed.length === 1 ? 'is' : 'are'} known only by index (an -i any capture: --links <(ip -o link) or --iface-names 2=docker0,… names them)` +
    (portList.length === 0
      ? ''
      : `; ${list(portList)} ${portList.length === 1 ? 'carries' : 'carry'} frames addressed to another MAC, as a container's veth does: taken as bridge port${portList.length === 1 ? '' : 's'}`)
  );
}

