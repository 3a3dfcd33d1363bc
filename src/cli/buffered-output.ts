/**
 * Collects output lines and writes them to stdout in large chunks (one write per ~64 KiB, not per
 * packet). When the reader of the pipe goes away (`natflow packets x.pcap | head`), stdout fails
 * with EPIPE: from then on `closed` is true, writes are dropped and callers can stop working.
 */
const CHUNK = 64 * 1024;

export class BufferedOutput {
  private parts: string[] = [];
  private size = 0;
  closed = false;
  private readonly onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.closed = true;
    else throw err;
  };

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', this.onError);
  }

  line(s: string): void {
    if (this.closed) return;
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= CHUNK) this.flushSync();
  }

  private flushSync(): void {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.closed) this.stream.write(text);
  }

  /** Writes what is pending and waits until the stream has taken it (or failed). */
  async flush(): Promise<void> {
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.closed && text.length > 0) {
      await new Promise<void>((resolve) => {
        this.stream.write(text, (err) => {
          if (err && (err as NodeJS.ErrnoException).code === 'EPIPE') this.closed = true;
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.off('error', this.onError);
  }
}

/** Runs `write` with a BufferedOutput on stdout, which is flushed and released however it ends. */
export async function withOutput<T>(write: (out: BufferedOutput) => Promise<T> | T): Promise<T> {
  const out = new BufferedOutput();
  try {
    return await write(out);
  } finally {
    await out.close();
  }
}
