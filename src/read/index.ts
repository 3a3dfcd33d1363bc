/**
 * natflow's streaming capture reader: classic pcap (all magics, incl. the modified format),
 * pcapng (multi-section, either byte order) and gzip of either, from a file or stdin ('-').
 */
import { ByteSource, openInput } from './byte-source.js';
import { CaptureError, type CaptureWarning } from './capture-error.js';
import { hexPrefix } from './gzip-detect.js';
import { PCAP_MAGICS, PcapReader } from './pcap-reader.js';
import { describeOtherFormat, OTHER_FORMAT_PEEK } from './other-formats.js';
import { MAX_PARSED_BLOCK, PcapngReader, SHB_TYPE } from './pcapng-reader.js';
import type { FormatReader, ReaderContext, RecordCallback } from './reader-context.js';
import { u32le } from './reader-context.js';
import { ReusedRecord } from './record.js';
import type { CaptureFileInfo, CaptureInterface, CaptureRecord } from './types.js';
import { WarningLog } from './warnings.js';

export type { CaptureFileInfo, CaptureInterface, CaptureRecord } from './types.js';
export { CaptureError, type CaptureWarning } from './capture-error.js';
export { ReusedRecord } from './record.js';
export { formatEpoch } from './timestamp.js';

export interface ReadOptions {
  /** Size of each read into the reused buffer; default 1 MiB. */
  chunkSize?: number;
  /** Display name for errors; default = path. */
  label?: string;
  /** Called for every interface as soon as it is known (pcapng IDBs, or the pcap header). */
  onInterface?: (iface: CaptureInterface) => void;
  /** Stops reading (readCapture rejects with the signal's reason): the TUI quit before the load ended. */
  signal?: AbortSignal;
  /**
   * Ends the read where it is, as if the input ended there (`stopped` in the result): Ctrl-C on a
   * live capture, whose packets so far are still analyzed.
   */
  stop?: AbortSignal;
}

export interface ReadResult {
  /** Null when the file could not be opened or its header was unusable. */
  info: CaptureFileInfo | null;
  records: number;
  /** Bytes of the (decompressed) capture consumed. */
  bytesRead: number;
  warnings: CaptureWarning[];
  error: CaptureError | null;
  /** Ended by `stop` before the input did. */
  stopped: boolean;
}

const DEFAULT_CHUNK = 1 << 20;

interface Session {
  ctx: ReaderContext;
  reader: FormatReader | null;
  error: CaptureError | null;
  stopped: boolean;
}

/** `signal` and `stop` as the one signal the byte source watches (AbortSignal.any is Node ≥ 20.3). */
function watchedSignal(opts: ReadOptions): AbortSignal | null {
  const { signal, stop } = opts;
  if (!signal || !stop) return signal ?? stop ?? null;
  const either = new AbortController();
  for (const s of [signal, stop]) {
    if (s.aborted) either.abort(s.reason);
    else s.addEventListener('abort', () => either.abort(s.reason), { once: true });
  }
  return either.signal;
}

/** Whether a failure that is not the capture's own fault is `stop` ending the read (not `signal`). */
function stoppedOnly(opts: ReadOptions): boolean {
  return opts.stop?.aborted === true && opts.signal?.aborted !== true;
}

async function openSession(path: string, opts: ReadOptions): Promise<Session> {
  const label = opts.label ?? path;
  const warnings = new WarningLog();
  const info: CaptureFileInfo = {
    file: path,
    format: 'pcap',
    compressed: false,
    byteOrder: 'le',
    tsPrecision: null,
    version: '',
    interfaces: [],
  };
  let src: ByteSource | null = null;
  const ctx: ReaderContext = {
    src: null as unknown as ByteSource,
    label,
    warnings,
    rec: new ReusedRecord(),
    info,
    onInterface: opts.onInterface,
    records: 0,
  };
  try {
    const watch = watchedSignal(opts);
    const opened = await openInput(path, label, watch);
    info.compressed = opened.compressed;
    const chunk = Math.max(64, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK));
    src = new ByteSource(opened.input, label, chunk, Math.max(chunk, MAX_PARSED_BLOCK), watch);
    ctx.src = src;
    if (!(await src.ensure(4))) {
      if (src.available === 0) throw new CaptureError(label, 0, opened.compressed ? 'empty file (after gzip decompression)' : 'empty file');
      throw new CaptureError(label, 0, `file too short to be a capture (${src.available} bytes)`);
    }
    const magic = u32le(src.buf, src.start);
    let reader: FormatReader;
    if (PCAP_MAGICS.has(magic)) reader = await PcapReader.open(ctx, magic);
    else if (magic === SHB_TYPE) reader = await PcapngReader.open(ctx);
    else {
      // Enough of the file to name what it is instead (tar's magic is 257 bytes in).
      await src.ensure(OTHER_FORMAT_PEEK);
      const head = src.buf.subarray(src.start);
      const other = describeOtherFormat(head, src.available);
      const first = `(first bytes ${hexPrefix(head, src.available)})`;
      throw new CaptureError(label, 0, other === null ? `not a pcap, pcapng or gzip file ${first}` : `${other.name}, not a pcap, pcapng or gzip file: ${other.advice} ${first}`);
    }
    return { ctx, reader, error: null, stopped: false };
  } catch (e) {
    // Stopped while opening (a pipe that had sent nothing): whatever failed, it failed for that.
    if (stoppedOnly(opts)) return { ctx, reader: null, error: null, stopped: true };
    if (e instanceof CaptureError && !opts.signal?.aborted) return { ctx, reader: null, error: e, stopped: false };
    await src?.close();
    throw opts.signal?.aborted ? opts.signal.reason : e;
  }
}

function resultOf(s: Session): ReadResult {
  const src = s.ctx.src as ByteSource | null;
  return {
    info: s.reader ? s.ctx.info : null,
    records: s.ctx.records,
    bytesRead: src ? src.offset : 0,
    warnings: s.ctx.warnings.result(),
    error: s.error,
    stopped: s.stopped,
  };
}

/**
 * Calls onRecord for every record in order. Never throws for bad input: the fault is returned
 * in `error` after the records before it were delivered. (Errors thrown by onRecord itself are
 * passed through.)
 *
 * The record passed to onRecord is ONE object reused for every call, and its `data` is a view
 * into the reader's buffer: both are only valid until onRecord returns. Copy what you keep
 * (`rec.data.slice()`, or `(rec as ReusedRecord).snapshot()`).
 */
export async function readCapture(
  path: string,
  onRecord: (rec: CaptureRecord, info: CaptureFileInfo) => void,
  opts: ReadOptions = {},
): Promise<ReadResult> {
  const s = await openSession(path, opts);
  try {
    if (s.reader) while (!(await s.reader.run(onRecord as RecordCallback, Infinity)));
  } catch (e) {
    if (e instanceof CaptureError) s.error = e;
    else if (stoppedOnly(opts)) s.stopped = true; // the records before it were delivered
    else {
      await closeSession(s);
      throw opts.signal?.aborted ? opts.signal.reason : e;
    }
  }
  await closeSession(s);
  return resultOf(s);
}

async function closeSession(s: Session): Promise<void> {
  const src = s.ctx.src as ByteSource | null;
  if (src) await src.close();
}

/**
 * Convenience async iterator (slower: every record is copied). Throws the CaptureError at the
 * end, after the records before the fault were yielded.
 */
export async function* iterateCapture(path: string, opts: ReadOptions = {}): AsyncGenerator<CaptureRecord> {
  const s = await openSession(path, opts);
  try {
    if (s.error) throw s.error;
    const reader = s.reader!;
    const batch: CaptureRecord[] = [];
    const keep = (rec: CaptureRecord): void => {
      batch.push((rec as ReusedRecord).snapshot());
    };
    for (;;) {
      let done = false;
      let failure: CaptureError | null = null;
      try {
        done = await reader.run(keep, 256);
      } catch (e) {
        if (!(e instanceof CaptureError)) throw e;
        failure = e;
      }
      for (const r of batch) yield r;
      batch.length = 0;
      if (failure) throw failure;
      if (done) return;
    }
  } finally {
    await closeSession(s);
  }
}
