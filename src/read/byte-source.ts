import { close as fsClose, createReadStream, fstatSync, open as fsOpen, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { createGunzip } from 'node:zlib';
import { pipeline, Readable } from 'node:stream';
import { CaptureError } from './capture-error.js';
import { isGzipMagic } from './gzip-detect.js';
import { errorCodeOrMessage, fsErrorText } from './fs-error-text.js';

/** Where the bytes come from: a seekable file, or a stream (stdin, gunzip output). */
export interface ChunkInput {
  /** Reads up to `length` bytes into `buf` at `offset`; 0 means end of input. */
  read(buf: Uint8Array, offset: number, length: number): Promise<number>;
  /** Drops the next `n` bytes without handing them out (a seek for files). */
  skip(n: number): void;
  close(): Promise<void>;
}

/** How long a file is read without letting timers and I/O run (the TUI's progress display). */
const YIELD_EVERY_MS = 50;

class FileInput implements ChunkInput {
  private position = 0;
  private lastYield = performance.now();
  constructor(private readonly fd: number) {}

  /**
   * A synchronous read: from the page cache it is a copy, while an asynchronous one waits for a
   * thread-pool thread each time (on a busy 2-core machine, a third of the wall time went there).
   */
  async read(buf: Uint8Array, offset: number, length: number): Promise<number> {
    const bytesRead = readSync(this.fd, buf, offset, length, this.position);
    this.position += bytesRead;
    const now = performance.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) {
      this.lastYield = now;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return bytesRead;
  }

  skip(n: number): void {
    this.position += n;
  }

  async close(): Promise<void> {
    await closeFd(this.fd);
  }
}

class StreamInput implements ChunkInput {
  private chunk: Uint8Array | null;
  private chunkPos = 0;
  private discard = 0;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(
    iterable: AsyncIterable<Uint8Array>,
    first: Uint8Array | null,
    private readonly onClose: () => void,
  ) {
    this.it = iterable[Symbol.asyncIterator]();
    this.chunk = first;
  }

  async read(buf: Uint8Array, offset: number, length: number): Promise<number> {
    for (;;) {
      if (this.chunk !== null) {
        let avail = this.chunk.length - this.chunkPos;
        if (this.discard > 0) {
          const d = Math.min(this.discard, avail);
          this.discard -= d;
          this.chunkPos += d;
          avail -= d;
        }
        if (avail > 0) {
          const n = Math.min(avail, length);
          buf.set(this.chunk.subarray(this.chunkPos, this.chunkPos + n), offset);
          this.chunkPos += n;
          return n;
        }
        this.chunk = null;
      }
      const next = await this.it.next();
      if (next.done) return 0;
      this.chunk = next.value;
      this.chunkPos = 0;
    }
  }

  skip(n: number): void {
    this.discard += n;
  }

  async close(): Promise<void> {
    this.onClose();
  }
}

/**
 * A sliding window over the input. Readers parse straight out of `buf[start, end)`, which is
 * refilled with large reads into the same buffer (the unconsumed tail is moved to the front),
 * so memory stays at one buffer whatever the file size. The buffer grows only up to
 * `maxBuffer`, and only when a unit whose size the reader has already checked against its
 * own limits needs it.
 */
export class ByteSource {
  buf: Uint8Array;
  start = 0;
  end = 0;
  /** Absolute stream offset of buf[0]. */
  private base = 0;
  eof = false;

  readonly #signal: AbortSignal | null;
  readonly #onAbort: () => void;

  /**
   * `signal`: the reader gives up (throws the signal's reason, not a CaptureError) at the next
   * read, and an input waiting for data (a pipe) is closed so that the wait ends.
   */
  constructor(
    private readonly input: ChunkInput,
    readonly label: string,
    chunkSize: number,
    private readonly maxBuffer: number,
    signal: AbortSignal | null = null,
  ) {
    this.buf = new Uint8Array(Math.max(64, Math.min(chunkSize, maxBuffer)));
    this.#signal = signal;
    this.#onAbort = () => void this.input.close().catch(() => undefined);
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Absolute offset of buf[start], the next unconsumed byte. */
  get offset(): number {
    return this.base + this.start;
  }

  /** Absolute offset of a position inside buf. */
  at(pos: number): number {
    return this.base + pos;
  }

  get available(): number {
    return this.end - this.start;
  }

  /** Makes at least `n` bytes available from `start`; false when the input ends first. */
  async ensure(n: number): Promise<boolean> {
    if (this.end - this.start >= n) return true;
    if (n > this.buf.length) {
      if (n > this.maxBuffer) throw new Error(`internal: ensure(${n}) above buffer limit`);
      const bigger = new Uint8Array(Math.min(this.maxBuffer, Math.max(n, this.buf.length * 2)));
      bigger.set(this.buf.subarray(this.start, this.end));
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
      this.buf = bigger;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    while (this.end - this.start < n && !this.eof) {
      this.#signal?.throwIfAborted();
      let got: number;
      try {
        got = await this.input.read(this.buf, this.end, this.buf.length - this.end);
      } catch (e) {
        // A read ended by the abort (the input closed under it) is the abort, not a bad capture.
        this.#signal?.throwIfAborted();
        throw new CaptureError(this.label, this.base + this.end, `read failed: ${errorCodeOrMessage(e)}`);
      }
      this.#signal?.throwIfAborted();
      if (got === 0) this.eof = true;
      else this.end += got;
    }
    return this.end - this.start >= n;
  }

  /** Consumes `n` bytes, buffered or not; past the end of input the next ensure() fails. */
  skip(n: number): void {
    const avail = this.end - this.start;
    if (n <= avail) {
      this.start += n;
      return;
    }
    this.input.skip(n - avail);
    this.base += this.end + (n - avail);
    this.start = 0;
    this.end = 0;
  }

  async close(): Promise<void> {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    await this.input.close().catch(() => undefined);
  }
}

export interface OpenedInput {
  input: ChunkInput;
  compressed: boolean;
}


function gunzipped(first: Uint8Array | null, rest: AsyncIterable<Uint8Array>): StreamInput {
  async function* all(): AsyncGenerator<Uint8Array> {
    if (first !== null) yield first;
    yield* rest;
  }
  const gunzip = createGunzip();
  const src = Readable.from(all(), { objectMode: false });
  // pipeline forwards a source failure into gunzip, so iterating gunzip sees every error.
  pipeline(src, gunzip, () => undefined);
  return new StreamInput(gunzip, null, () => {
    src.destroy();
    gunzip.destroy();
  });
}

/**
 * Opens a path ('-' = standard input) and decides by the first two bytes whether to
 * decompress. Throws CaptureError (offset 0) when the path cannot be read as a file.
 */
export async function openInput(path: string, label: string, signal: AbortSignal | null = null): Promise<OpenedInput> {
  if (path === '-') {
    // Given up on (Ctrl-C on a live capture piped in), standard input is let go: a writer that
    // holds it open would otherwise hold the process. At its end it is left as it is.
    const stdin = process.stdin;
    return openStream(stdin as AsyncIterable<Uint8Array>, label, 'standard input', signal, () => {
      if (signal?.aborted) stdin.destroy();
    });
  }

  // A descriptor, not a FileHandle: a pipe's is handed to a socket, which then owns it.
  let fd: number;
  try {
    fd = await openFd(path);
  } catch (e) {
    throw new CaptureError(label, 0, `cannot open: ${describeOpenError(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new CaptureError(label, 0, 'is a directory, not a capture file');
    // A pipe or FIFO (`natflow analyze <(tcpdump -w - …)`): no positions to read at, read it as a stream.
    if (!st.isFile()) {
      const stream = (st.isFIFO() ? pipeSocket(fd) : null) ?? createReadStream('', { fd, autoClose: true });
      return await openStream(stream, label, 'the pipe', signal, () => stream.destroy());
    }
    const head = new Uint8Array(2);
    const bytesRead = readSync(fd, head, 0, 2, 0);
    if (isGzipMagic(head, bytesRead)) {
      const stream = createReadStream('', { fd, start: 0, autoClose: true });
      return { input: gunzipped(null, stream), compressed: true };
    }
    return { input: new FileInput(fd), compressed: false };
  } catch (e) {
    await closeFd(fd).catch(() => undefined);
    if (e instanceof CaptureError) throw e;
    throw new CaptureError(label, 0, `cannot read: ${describeOpenError(e)}`);
  }
}

/** open(2) for reading on a thread-pool thread: a FIFO's open waits there for its writer. */
function openFd(path: string): Promise<number> {
  return new Promise((resolve, reject) => fsOpen(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsClose(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * A pipe or FIFO read as a socket is: by the event loop, never by a thread-pool thread blocked in
 * read(2). Such a thread cannot be stopped, and Node waits for it at exit, so a pipe whose writer
 * never ends (`eth0=<(ssh host tcpdump -w - …)`) would hold the process after the TUI quit. The
 * socket takes the descriptor itself: one opened again (through /proc) would miss the end of a
 * FIFO whose writer had closed it already (Linux reports no hang-up to a reader that opened after
 * the last writer left). Null where no socket can be made of it: then a read stream reads it.
 */
function pipeSocket(fd: number): Socket | null {
  try {
    return new Socket({ fd, readable: true, writable: false });
  } catch {
    return null;
  }
}

/**
 * A stream input (stdin, a pipe, a FIFO): the first bytes are peeked to decide on gunzip. An abort
 * during the peek closes the input (`onClose`): a pipe that has sent nothing yet would otherwise
 * hold the peek, and the process, forever. Afterwards the byte source closes it on an abort.
 */
async function openStream(source: AsyncIterable<Uint8Array>, label: string, what: string, signal: AbortSignal | null, onClose: () => void): Promise<OpenedInput> {
  const it = source[Symbol.asyncIterator]();
  let first: Uint8Array | null = null;
  signal?.addEventListener('abort', onClose, { once: true });
  try {
    // Peek until two bytes are known (or input ends) without losing them.
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < 2) {
      const n = await it.next();
      if (n.done) break;
      parts.push(n.value);
      total += n.value.length;
    }
    first = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  } catch (e) {
    throw new CaptureError(label, 0, `cannot read ${what}: ${errorCodeOrMessage(e)}`);
  } finally {
    signal?.removeEventListener('abort', onClose);
  }
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => it };
  if (first !== null && isGzipMagic(first, first.length)) {
    return { input: gunzipped(first, rest), compressed: true };
  }
  return { input: new StreamInput(rest, first, onClose), compressed: false };
}

function describeOpenError(e: unknown): string {
  const text = fsErrorText(e);
  return (e as { code?: unknown } | null)?.code === 'EISDIR' ? `${text}, not a capture file` : text;
}
