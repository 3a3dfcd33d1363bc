/**
 * The one place that turns the CLI's capture arguments into flows: files, `name=path`,
 * directories (every *.pcap/*.pcapng/*.cap/*.gz inside, sorted) and `-` (stdin), all read into
 * one FlowTable. Used by `flows`, `analyze`, `check` and the TUI.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../read/index.js';
import { CaptureError } from '../read/capture-error.js';
import type { CaptureFileInfo, CaptureRecord } from '../read/types.js';
import { decodeRecord } from '../decode/index.js';
import { Packet } from '../decode/packet.js';
import { FlowTable } from './flow-table.js';
import type { ArpEvent, Flow, FlowTableOptions } from './flow.js';
import { InterfaceResolver, LINKTYPE_LINUX_SLL2, nameFromPath, splitNamedCapture, type IfindexNames, type InterfaceIdentity } from './interface-names.js';

const CAPTURE_EXT = /\.(pcap|pcapng|cap|gz)$/i;
const PROGRESS_EVERY = 8192;
const PROGRESS_MS = 250;

/** One capture to read: a path plus the interface name given with `name=path`, if any. */
export interface CaptureSpec {
  path: string;
  name: string | null;
}

export interface CaptureSummary {
  /** Path as read ('-' for stdin). */
  file: string;
  format: CaptureFileInfo['format'] | null;
  linktypes: number[];
  interfaces: InterfaceIdentity[];
  packets: number;
  bytesRead: number;
  /** Packets the decoder flagged (truncated / malformed layers). */
  decodeWarnings: number;
  /** Packets the capture kept only part of (caplen < len): cut by its snaplen. */
  packetsCut: number;
  /** The length those packets were cut to (the snaplen), null when none was cut. */
  snaplen: number | null;
  error: CaptureError | null;
}

export interface LoadProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
  /** Bytes of the current (decompressed) file consumed so far. */
  bytesRead: number;
  /** Packets read so far, all files. */
  packets: number;
}

export interface LoadOptions {
  flowOptions?: FlowTableOptions;
  /** SLL2 interface index → name (from --iface-names / --links). */
  ifindexNames?: IfindexNames;
  onProgress?: (p: LoadProgress) => void;
  /** Stops the load: it rejects with the signal's reason (the TUI quit before it ended). */
  signal?: AbortSignal;
  /**
   * Ends the load where it is (Ctrl-C on a live capture): the file being read ends there, the
   * ones after it are not read, and what was read is the result (`stopped` says where).
   */
  stop?: AbortSignal;
}

/** Where a load ended by `stop` ended. */
export interface LoadStopped {
  /** The inputs being read, and how far (bytes of their decompressed content). */
  at: { file: string; offset: number }[];
  /** The files after them, not read at all. */
  unread: string[];
}

/** A capture argument as the user would name it: `-` is standard input. */
export function inputName(file: string): string {
  return file === '-' ? 'standard input' : file;
}

/** Standard input, a pipe or a FIFO: what a live capture comes through (no end known in advance). */
export function isLiveInput(path: string): boolean {
  if (path === '-') return true;
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

export interface LoadResult {
  captures: CaptureSummary[];
  /** Sorted by first packet time. */
  flows: Flow[];
  arpEvents: ArpEvent[];
  /** Capture errors in argument order; the packets before each error were used. */
  errors: CaptureError[];
  /** Set when `stop` ended the load before the captures did. */
  stopped: LoadStopped | null;
}

/**
 * Subdirectories named like captures are skipped; an entry that cannot even be stat'ed (a dangling
 * symlink, no permission) is kept, so that reading it reports the fault as a capture error naming
 * the file while the directory's other captures are still analyzed.
 */
function isFileOrUnreadable(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return true;
  }
}

/**
 * Expands capture arguments. `name=path` names a single-interface capture; an argument that is an
 * existing path is taken as a path even when it contains '='. Throws CaptureError for a directory
 * without captures or a path that does not exist (offset 0).
 */
export function expandCaptureArgs(args: readonly string[]): CaptureSpec[] {
  const out: CaptureSpec[] = [];
  for (const arg of args) {
    const { path, name } = splitNamedCapture(arg);
    if (path !== '-' && existsSync(path) && statSync(path).isDirectory()) {
      const files = readdirSync(path)
        .filter((f) => CAPTURE_EXT.test(f))
        .sort();
      const inside = files.map((f) => join(path, f)).filter(isFileOrUnreadable);
      if (inside.length === 0) throw new CaptureError(path, 0, `no capture files (*.pcap, *.pcapng, *.cap, *.gz) in directory${packedCapturesText(readdirSync(path))}`);
      for (const p of inside) out.push({ path: p, name: null });
      continue;
    }
    out.push({ path, name });
  }
  return out;
}

// Captures packed in what natflow does not read (only gzip is decompressed as it is read).
const PACKED = /\.(?:pcap|pcapng|cap)\.(?:xz|zst|bz2|lz4|zip|7z)$|\.(?:tar|tgz|tar\.\w+|zip|7z)$/i;

/** ` (it holds a.pcap.xz and 2 more: decompress or extract them first)`, or nothing. */
function packedCapturesText(names: readonly string[]): string {
  const packed = names.filter((f) => PACKED.test(f)).sort();
  if (packed.length === 0) return '';
  const more = packed.length > 1 ? ` and ${packed.length - 1} more` : '';
  return ` (it holds ${packed[0]}${more}: decompress or extract ${packed.length > 1 ? 'them' : 'it'} first)`;
}

/** Reads every capture into one flow table. Never throws for bad input: errors are returned. */
export async function loadCaptures(args: readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  let specs: CaptureSpec[];
  try {
    specs = expandCaptureArgs(args);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    return { captures: [], flows: [], arpEvents: [], errors: [e], stopped: null };
  }
  return loadCaptureSpecs(specs, opts);
}

export async function loadCaptureSpecs(specs: readonly CaptureSpec[], opts: LoadOptions = {}): Promise<LoadResult> {
  const table = new FlowTable(opts.flowOptions);
  const summaries: (CaptureSummary | undefined)[] = new Array<CaptureSummary | undefined>(specs.length);
  const stoppedAt: ({ file: string; offset: number } | undefined)[] = new Array<{ file: string; offset: number } | undefined>(specs.length);
  const pkt = new Packet();
  const ifindexNames = opts.ifindexNames ?? new Map<number, string>();
  let totalPackets = 0;
  // Where the reading is, for the progress timer below.
  const reading = { fileIndex: 0, bytesRead: 0 };

  const readOne = async (fileIndex: number): Promise<void> => {
    const spec = specs[fileIndex];
    const resolver = new InterfaceResolver(fileIndex, nameFromPath(spec.path), spec.name, ifindexNames);
    const linktypes = new Set<number>();
    let interfaceCount = 0;
    let packets = 0;
    let decodeWarnings = 0;
    let packetsCut = 0;
    let cutTo = 0;
    const onRecord = (rec: CaptureRecord): void => {
      if (rec.caplen < rec.len) {
        packetsCut++;
        if (rec.caplen > cutTo) cutTo = rec.caplen;
      }
      decodeRecord(pkt, rec);
      if (pkt.warnings.length > 0) decodeWarnings++;
      const id = resolver.resolve(rec.iface, pkt.sllIfIndex);
      const tsUs = rec.tsSec * 1e6 + rec.tsNsec / 1e3;
      table.add(pkt, tsUs, id.name, id.key, spec.path);
      packets++;
      totalPackets++;
      reading.fileIndex = fileIndex;
      reading.bytesRead = rec.offset;
      if (opts.onProgress && totalPackets % PROGRESS_EVERY === 0) {
        opts.onProgress({ file: spec.path, fileIndex, fileCount: specs.length, bytesRead: rec.offset, packets: totalPackets });
      }
    };
    reading.fileIndex = fileIndex;
    reading.bytesRead = 0;
    const res = await readCapture(spec.path, onRecord, {
      signal: opts.signal,
      stop: opts.stop,
      onInterface: (iface) => {
        interfaceCount++;
        linktypes.add(iface.linktype);
        resolver.setInterfaceCount(interfaceCount);
      },
    });
    if (res.stopped) stoppedAt[fileIndex] = { file: spec.path, offset: res.bytesRead };
    // An interface that was captured but carried no packet was still a capture point: name it
    // (SLL2 interfaces are only known from their packets).
    for (const iface of res.info?.interfaces ?? []) {
      if ((iface.linktype & 0xffff) !== LINKTYPE_LINUX_SLL2) resolver.resolve(iface, -1);
    }
    summaries[fileIndex] = {
      file: spec.path,
      format: res.info?.format ?? null,
      linktypes: [...linktypes],
      interfaces: resolver.identities(),
      packets,
      bytesRead: res.bytesRead,
      decodeWarnings,
      packetsCut,
      snaplen: packetsCut > 0 ? cutTo : null,
      error: res.error,
    };
    opts.onProgress?.({ file: spec.path, fileIndex, fileCount: specs.length, bytesRead: res.bytesRead, packets: totalPackets });
  };

  // Live inputs (pipes: `eth0=<(tcpdump -U -w - -i eth0) docker0=<(…)`) are read at the same
  // time, their packets going into the table as they come: read one after another, the others
  // would fill their pipes and stall their writers, and tcpdump drops what it cannot write.
  // Files are read one after another, in argument order (flow ids do not depend on timing).
  const indexes = specs.map((_, i) => i);
  const live = indexes.filter((i) => isLiveInput(specs[i].path));
  const together = live.length > 1 ? live : [];
  const inTurn = indexes.filter((i) => !together.includes(i));
  const oneAfterAnother = async (): Promise<void> => {
    for (const i of inTurn) {
      opts.signal?.throwIfAborted();
      // After Ctrl-C the files not begun are not read (and said so), not each read to byte 0.
      if (opts.stop?.aborted) return;
      await readOne(i);
    }
  };
  // Progress by time too: a live capture may send a few packets, or none, for a long while.
  const onProgress = opts.onProgress;
  const ticker =
    onProgress === undefined || specs.length === 0
      ? null
      : setInterval(() => onProgress({ file: specs[reading.fileIndex].path, fileIndex: reading.fileIndex, fileCount: specs.length, bytesRead: reading.bytesRead, packets: totalPackets }), PROGRESS_MS);
  ticker?.unref();
  try {
    await Promise.all([...together.map(readOne), oneAfterAnother()]);
  } finally {
    if (ticker !== null) clearInterval(ticker);
  }
  const captures = summaries.filter((c): c is CaptureSummary => c !== undefined);
  const errors = captures.map((c) => c.error).filter((e): e is CaptureError => e !== null);
  const unread = indexes.filter((i) => summaries[i] === undefined).map((i) => specs[i].path);
  // In argument order, as the captures: the live ones end together, in no order of their own.
  const at = stoppedAt.filter((x): x is { file: string; offset: number } => x !== undefined);
  const stopped = at.length > 0 || unread.length > 0 ? { at, unread } : null;
  const flows = table.finish();
  const arpEvents: ArpEvent[] = [];
  for (const list of table.arpEvents.values()) arpEvents.push(...list);
  arpEvents.sort((a, b) => a.tsUs - b.tsUs);
  return { captures, flows, arpEvents, errors, stopped };
}
