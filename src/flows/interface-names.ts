/**
 * Which interface a packet was captured on, as a display name and a key unique within the run:
 * pcapng if_name; LINUX_SLL2 interface index (named by --iface-names / --links, else `if<N>`);
 * LINUX_SLL v1 `any`; classic pcap of one interface: the file name without extension or the
 * `name=path` name from the command line.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { sanitizeText } from '../present/sanitize.js';
import type { CaptureInterface } from '../read/types.js';

const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Interface index → name, from --iface-names or --links. */
export type IfindexNames = ReadonlyMap<number, string>;

/** Parses `1=lo,2=docker0,3=eth0`. Throws an Error naming the bad entry. */
export function parseIfaceNames(spec: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const part of spec.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^(\d{1,10})=(.+)$/.exec(item);
    if (!m) throw new Error(`--iface-names: expected INDEX=NAME, got '${sanitizeText(item)}'`);
    out.set(Number(m[1]), sanitizeText(m[2].trim()));
  }
  return out;
}

/**
 * Parses `ip -o link` (or plain `ip link`) text or `ip -j link` JSON into index → name. Veth
 * peers print as `vethabc@if5`: the part after `@` is the peer, not the name.
 */
export function parseLinksDump(text: string): Map<number, string> {
  const out = new Map<number, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new Error(`--links: invalid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!Array.isArray(parsed)) throw new Error('--links: expected a JSON array from `ip -j link`');
    for (const entry of parsed) {
      if (entry === null || typeof entry !== 'object') continue;
      const { ifindex, ifname } = entry as { ifindex?: unknown; ifname?: unknown };
      if (typeof ifindex === 'number' && typeof ifname === 'string') out.set(ifindex, sanitizeText(ifname));
    }
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^(\d+):\s+([^:\s@]+)(?:@[^:\s]*)?:/.exec(line);
    if (m) out.set(Number(m[1]), sanitizeText(m[2]));
  }
  if (out.size === 0 && trimmed !== '') throw new Error('--links: no `N: name:` lines found (expected `ip -o link` or `ip -j link` output)');
  return out;
}

/** A capture file's default interface name: its base name without capture extensions. */
/**
 * `name=path` names a capture's interface on the command line; an argument that exists as a file
 * is a path even if it contains '='.
 */
export function splitNamedCapture(arg: string): { path: string; name: string | null } {
  const eq = arg.indexOf('=');
  if (eq > 0 && arg !== '-' && !existsSync(arg)) return { name: arg.slice(0, eq), path: arg.slice(eq + 1) };
  return { path: arg, name: null };
}

export function nameFromPath(path: string): string {
  if (path === '-') return 'stdin';
  let b = basename(path);
  b = b.replace(/\.gz$/i, '');
  b = b.replace(/\.(pcapng|pcap|cap|ntar)$/i, '');
  return sanitizeText(b) || 'capture';
}

export interface InterfaceIdentity {
  name: string;
  key: string;
}

/**
 * Resolves interface identities for one capture file, caching per interface (and per SLL2
 * ifindex) so the per-packet cost is a lookup.
 */
export class InterfaceResolver {
  private readonly byIface = new Map<number, InterfaceIdentity>();
  private readonly bySll2 = new Map<number, InterfaceIdentity>();
  private readonly fileIndex: number;
  private readonly fileName: string;
  private readonly explicitName: string | null;
  private readonly ifindexNames: IfindexNames;
  private interfaceCount = 0;

  /**
   * @param explicitName the `name=` of a `name=path` argument, or null.
   * @param fileName the name derived from the path (used for classic pcap / unnamed pcapng IDBs).
   */
  constructor(fileIndex: number, fileName: string, explicitName: string | null, ifindexNames: IfindexNames) {
    this.fileIndex = fileIndex;
    this.fileName = fileName;
    this.explicitName = explicitName;
    this.ifindexNames = ifindexNames;
  }

  /** Tells the resolver how many interfaces the file declares (to decide whether to suffix names). */
  setInterfaceCount(n: number): void {
    this.interfaceCount = n;
  }

  /** All identities handed out so far. */
  identities(): InterfaceIdentity[] {
    return [...this.byIface.values(), ...this.bySll2.values()];
  }

  resolve(iface: CaptureInterface, sllIfIndex: number): InterfaceIdentity {
    if ((iface.linktype & 0xffff) === LINKTYPE_LINUX_SLL2 && sllIfIndex >= 0) {
      let id = this.bySll2.get(sllIfIndex);
      if (id === undefined) {
        const named = this.ifindexNames.get(sllIfIndex);
        id = { name: named ?? `if${sllIfIndex}`, key: `${this.fileIndex}:sll${sllIfIndex}` };
        this.bySll2.set(sllIfIndex, id);
      }
      return id;
    }
    let id = this.byIface.get(iface.index);
    if (id === undefined) {
      id = { name: this.nameOf(iface), key: `${this.fileIndex}:${iface.index}` };
      this.byIface.set(iface.index, id);
    }
    return id;
  }

  private nameOf(iface: CaptureInterface): string {
    // `name=path` is the user's word for a single-interface file, even over its if_name.
    if (this.explicitName !== null && this.interfaceCount <= 1) return this.explicitName;
    if (iface.name) return sanitizeText(iface.name);
    if ((iface.linktype & 0xffff) === LINKTYPE_LINUX_SLL) return 'any';
    const base = this.explicitName ?? this.fileName;
    return this.interfaceCount > 1 ? `${base}#${iface.index}` : base;
  }
}
