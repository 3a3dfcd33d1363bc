/**
 * ICMP errors joined to the conversation they report on, across NAT.
 *
 * An ICMP error (port unreachable, time exceeded, …) quotes the header of the packet it answers,
 * and conntrack translates both its outer addresses and that quoted header on the way back
 * (docker-nat-facts §2), so the copies of one error on either side of a NAT share neither tuple
 * nor payload bytes: the same-packet matcher cannot pair them. What NAT leaves alone is: the
 * outer IP ID, type and code, the quoted packet's IP ID and the bytes after its transport header.
 * The flow table already links each error flow to the flow of its quoted tuple on the same
 * interface (`icmp.linkedFlowId`); an error group whose links all lead into one conversation is
 * attached to it, and such groups are paired with each other on the fields above.
 */
import type { Flow } from '../flows/flow.js';
import type { CaptureCopy, Evidence, IcmpErrorReport } from './model.js';
import { endpointText, isIcmp, PROTO_ICMP, type ConnNode } from './conn-node.js';
import { orderGroup } from './path-order.js';

const IPV4_ERRORS = new Set([3, 4, 5, 11, 12]);
const IPV6_ERRORS = new Set([1, 2, 3, 4]);

/** An ICMP error flow whose quoted header points at a flow of this capture point. */
export function isLinkedIcmpError(f: Flow): boolean {
  const i = f.icmp;
  if (i === null || i.inner === null || i.linkedFlowId === null || !isIcmp(f.proto)) return false;
  return (f.proto === PROTO_ICMP ? IPV4_ERRORS : IPV6_ERRORS).has(i.type);
}

const UNREACH4 = ['network unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable', 'fragmentation needed', 'source route failed'];
const UNREACH6 = ['no route to destination', 'administratively prohibited', 'beyond scope of source address', 'address unreachable', 'port unreachable'];

/** "port unreachable", "time exceeded", … for an ICMP / ICMPv6 error type and code. */
export function icmpErrorName(proto: number, type: number, code: number): string {
  if (proto === PROTO_ICMP) {
    if (type === 3) return UNREACH4[code] ?? ([9, 10, 13].includes(code) ? 'administratively prohibited' : 'destination unreachable');
    return type === 11 ? 'time exceeded' : type === 12 ? 'parameter problem' : type === 5 ? 'redirect' : type === 4 ? 'source quench' : 'error';
  }
  if (type === 1) return UNREACH6[code] ?? 'destination unreachable';
  return type === 2 ? 'packet too big' : type === 3 ? 'time exceeded' : type === 4 ? 'parameter problem' : 'error';
}

/** What NAT leaves alone in one error flow's first message. */
interface Signature {
  type: number;
  code: number;
  /** Outer IPv4 ID; -1 when absent (IPv6). */
  ipId: number;
  /** IP ID of the quoted packet; -1 when absent or cut. */
  quotedIpId: number;
  /** Bytes after the quoted transport header (as many as the error carried). */
  quotedPayload: Uint8Array;
}

function signature(f: Flow): Signature {
  const s = f.samples;
  const i = f.icmp!;
  let first = -1;
  for (let k = 0; k < s.count; k++) {
    if (s.dirAt(k) === 0) {
      first = k;
      break;
    }
  }
  // The prefix concatenates the error messages' quoted packets: the first one is the first message's.
  const p = f.fwd.prefix;
  const len = Math.min(p.length, first >= 0 ? s.payloadLenAt(first) : p.length);
  let quotedIpId = -1;
  let start = len;
  if (len >= 20 && p[0] >> 4 === 4) {
    const ihl = (p[0] & 0x0f) * 4;
    quotedIpId = (p[4] << 8) | p[5];
    start = ihl + transportHeaderLen(i.inner!.proto, p, ihl, len);
  } else if (len >= 40 && p[0] >> 4 === 6) {
    start = 40 + transportHeaderLen(i.inner!.proto, p, 40, len);
  }
  return {
    type: i.type,
    code: i.code,
    ipId: first >= 0 ? s.ipIdAt(first) : -1,
    quotedIpId,
    quotedPayload: p.subarray(Math.min(start, len), len),
  };
}

function transportHeaderLen(proto: number, p: Uint8Array, off: number, end: number): number {
  // TCP: its data offset, when the quote reaches it (errors often quote only 8 bytes).
  if (proto === 6) return end - off >= 13 ? Math.max(20, (p[off + 12] >> 4) * 4) : end - off;
  return 8;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Two errors are one message translated by NAT: type, code and the IDs NAT keeps agree. */
function sameMessage(a: Signature, b: Signature): boolean {
  if (a.type !== b.type || a.code !== b.code) return false;
  if (a.ipId !== b.ipId || a.quotedIpId !== b.quotedIpId) return false;
  return sameBytes(a.quotedPayload, b.quotedPayload);
}

/** One error group (same-packet copies of one error at several capture points). */
export interface ErrorGroup {
  /** Capture points in order, repeated capture points dropped. */
  nodes: ConnNode[];
  /** The dropped repeats: flow and the error flow it repeats. */
  copies: CaptureCopy[];
}

/** Error groups found to be one message, in the order the message travelled. */
export interface ErrorReportPlan {
  groups: ErrorGroup[];
}

/**
 * Groups the error groups that report on one conversation into messages: two groups are one
 * message seen across a NAT when `sameMessage` holds and their clock-corrected times are within
 * `windowUs`. Returns the plans in time order.
 */
export function planReports(groups: ErrorGroup[], windowUs: number): ErrorReportPlan[] {
  const sigs = groups.map((g) => signature(g.nodes[0].parts[0]));
  const t0 = groups.map((g) => Math.min(...g.nodes.map((n) => n.t0)));
  const order = groups.map((_, i) => i).sort((a, b) => t0[a] - t0[b]);
  const used = new Uint8Array(groups.length);
  const plans: ErrorReportPlan[] = [];
  for (const i of order) {
    if (used[i]) continue;
    used[i] = 1;
    const members = [groups[i]];
    for (const j of order) {
      if (used[j] || Math.abs(t0[j] - t0[i]) > windowUs || !sameMessage(sigs[i], sigs[j])) continue;
      // One copy per capture point: a second group on an interface already held is another message.
      if (members.some((m) => m.nodes.some((n) => groups[j].nodes.some((o) => o.ifaceKey === n.ifaceKey)))) continue;
      used[j] = 1;
      members.push(groups[j]);
    }
    plans.push({ groups: members });
  }
  return plans;
}

/**
 * The report as written into the correlation, and its evidence (written when read).
 * `legOf` maps a quoted flow id to the leg it is or repeats.
 */
export function buildReport(plan: ErrorReportPlan, legOf: (flowId: string) => string): { report: IcmpErrorReport; evidence: () => Evidence[] } {
  const nodes = orderGroup(plan.groups.flatMap((g) => g.nodes));
  const first = nodes[0].parts[0];
  const i = first.icmp!;
  const report: IcmpErrorReport = {
    type: i.type,
    code: i.code,
    name: icmpErrorName(first.proto, i.type, i.code),
    flows: nodes.map((n) => n.parts[0].id),
    quotes: nodes.map((n) => legOf(n.parts[0].icmp!.linkedFlowId!)),
    copies: plan.groups.flatMap((g) => g.copies),
  };
  return { report, evidence: () => reportEvidence(nodes) };
}

function quotedText(f: Flow): string {
  const q = f.icmp!.inner!;
  return `${endpointText(q.src)} → ${endpointText(q.dst)}`;
}

function listText(items: string[]): string {
  return items.length <= 2 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function usText(us: number): string {
  const a = Math.abs(us);
  if (a >= 1e6) return `${(us / 1e6).toFixed(3)} s`;
  if (a >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${Math.round(us)} µs`;
}

function reportEvidence(nodes: ConnNode[]): Evidence[] {
  const f0 = nodes[0].parts[0];
  const i = f0.icmp!;
  const what = `ICMP${f0.proto === PROTO_ICMP ? '' : 'v6'} ${icmpErrorName(f0.proto, i.type, i.code)} (type ${i.type} code ${i.code})`;
  // Capture points that show the same outer addresses and quoted header form one view.
  const views: { flows: Flow[]; nodes: ConnNode[] }[] = [];
  for (const n of nodes) {
    const f = n.parts[0];
    const v = views.find((x) => x.flows[0].src.ip === f.src.ip && x.flows[0].dst.ip === f.dst.ip && quotedText(x.flows[0]) === quotedText(f));
    if (v) {
      v.flows.push(f);
      v.nodes.push(n);
    } else views.push({ flows: [f], nodes: [n] });
  }
  const ifaces = (fs: Flow[]) => listText(fs.map((f) => f.iface));
  const ev: Evidence[] = [];
  const a = views[0].flows[0];
  if (views.length === 1) {
    ev.push({
      kind: 'icmp-error',
      detail: `${what} from ${a.src.ip} to ${a.dst.ip} seen on ${ifaces(views[0].flows)}, quoting ${quotedText(a)}: this conversation's tuple there`,
      weight: 0.3,
    });
    return ev;
  }
  const last = views[views.length - 1];
  const b = last.flows[0];
  const translated = a.src.ip !== b.src.ip || a.dst.ip !== b.dst.ip ? `, translated back to ${b.src.ip} → ${b.dst.ip},` : '';
  ev.push({
    kind: 'icmp-error',
    detail:
      `${what} from ${a.src.ip} to ${a.dst.ip} seen on ${ifaces(views[0].flows)} and${translated} on ${ifaces(last.flows)}; ` +
      `quoted header translated too (${quotedText(a)} on ${views[0].flows[0].iface}, ${quotedText(b)} on ${b.iface}), each this conversation's tuple on that interface`,
    weight: 0.3,
    flows: [a.id, b.id],
    values: [quotedText(a), quotedText(b)],
  });
  const sig = signature(a);
  const kept = [
    ...(sig.ipId >= 0 ? [`outer IP ID ${sig.ipId}`] : []),
    ...(sig.quotedIpId >= 0 ? [`quoted IP ID ${sig.quotedIpId}`] : []),
    ...(sig.quotedPayload.length > 0 ? [`quoted payload (${sig.quotedPayload.length} B)`] : []),
  ];
  const dt = last.nodes[0].t0 - views[0].nodes[0].t0;
  ev.push({
    kind: 'icmp-error',
    detail: `${kept.length > 0 ? `${listText(kept)} identical on ${a.iface} and ${b.iface}` : `type and code identical on ${a.iface} and ${b.iface}`}; ${b.iface} copy ${usText(dt)} after ${a.iface}`,
    weight: 0.2,
    flows: [a.id, b.id],
    delay: Math.round(dt) / 1e6,
  });
  return ev;
}

/** What the correlator knows about its same-packet groups and relay chains. */
export interface GroupView {
  flows: readonly Flow[];
  nodes: readonly ConnNode[];
  groupIds: readonly number[];
  groupNodes: ReadonlyArray<ConnNode[] | undefined>;
  /** Group (union-find root) of a node. */
  groupOf: (nodeIdx: number) => number;
  /** Chain heads: the groups a correlation starts from. */
  heads: readonly number[];
  /** The group a group's connection was relayed to, if any. */
  next: (group: number) => number | undefined;
  /** Whether the chain starting at this head becomes a correlation (else its flow stays unpaired). */
  hasCounterpart: (head: number) => boolean;
  /** A group's nodes in path order with repeated capture points split off. */
  split: (group: number) => { kept: ConnNode[]; repeats: { node: ConnNode; of: ConnNode }[] };
}

export interface AttachableErrors {
  /** Error groups by the head of the conversation they report on. */
  byHead: Map<number, ErrorGroup[]>;
  /** The error groups attached (they start no correlation of their own). */
  attached: Set<number>;
  /** Nodes of attached groups that repeat a capture point of another file. */
  repeats: ConnNode[];
}

/**
 * The error groups that report on exactly one conversation which has a correlation: every copy's
 * quoted flow (same interface) belongs to that conversation. Errors about a lone flow keep their
 * former treatment.
 */
export function attachableErrors(v: GroupView): AttachableErrors {
  const out: AttachableErrors = { byHead: new Map(), attached: new Set(), repeats: [] };
  const wanted = new Set<string>();
  for (const f of v.flows) if (isLinkedIcmpError(f)) wanted.add(f.icmp!.linkedFlowId!);
  if (wanted.size === 0) return out;
  const posById = new Map<string, number>();
  for (let i = 0; i < v.flows.length; i++) if (wanted.has(v.flows[i].id)) posById.set(v.flows[i].id, i);
  const nodeOfPos = new Int32Array(v.flows.length).fill(-1);
  for (const n of v.nodes) {
    nodeOfPos[n.flow0] = n.idx;
    if (n.flow1 >= 0) nodeOfPos[n.flow1] = n.idx;
  }
  const headOf = new Int32Array(v.nodes.length).fill(-1);
  for (const h of v.heads) {
    for (let g: number | undefined = h; g !== undefined; g = v.next(g)) headOf[g] = h;
  }
  for (const g of v.groupIds) {
    const ns = v.groupNodes[g]!;
    if (headOf[g] !== g || v.next(g) !== undefined) continue;
    let target = -1;
    for (const n of ns) {
      const f = n.parts[0];
      const pos = n.parts.length === 1 && isLinkedIcmpError(f) ? posById.get(f.icmp!.linkedFlowId!) : undefined;
      const qn = pos === undefined ? -1 : nodeOfPos[pos];
      const qh = qn < 0 ? -1 : headOf[v.groupOf(qn)];
      if (qh < 0 || qh === g || (target >= 0 && qh !== target)) {
        target = -1;
        break;
      }
      target = qh;
    }
    if (target < 0 || !v.hasCounterpart(target)) continue;
    const { kept, repeats } = v.split(g);
    const list = out.byHead.get(target) ?? [];
    out.byHead.set(target, list);
    list.push({ nodes: kept, copies: repeats.map((r) => ({ flow: r.node.parts[0].id, sameAs: r.of.parts[0].id })) });
    for (const r of repeats) out.repeats.push(r.node);
    out.attached.add(g);
  }
  return out;
}
