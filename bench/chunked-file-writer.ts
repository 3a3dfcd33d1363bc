import { openSync, writeSync, closeSync } from 'node:fs';

/**
 * The output side the generated-capture writers share: records are built in one large chunk so
 * generation is I/O-bound, not syscall-bound.
 */
export class ChunkedFileWriter {
  protected readonly fd: number;
  protected readonly buf = Buffer.alloc(4 << 20);
  protected pos = 0;
  bytesWritten = 0;
  records = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  /** Makes room for `n` more bytes in the chunk. */
  protected reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  flush(): void {
    if (this.pos > 0) writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
