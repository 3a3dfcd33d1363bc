/**
 * Text made piece by piece (a generator) written to a stream (process.stdout): pieces are gathered
 * into writes of about `writeSize` characters, and after a write the stream could not take at
 * once, the next waits for 'drain', so at most about one write is pending and the whole output
 * never exists in memory. When the reader goes away (`natflow analyze | head`: EPIPE) writing
 * stops quietly (the generator is not run further) and the result is false; other stream errors
 * are thrown.
 */
import { once } from 'node:events';

export interface StreamChunksOptions {
  /** Written after the last piece (the CLI ends its output with a newline). */
  suffix?: string;
  /** Pieces are gathered up to about this many characters per write. */
  writeSize?: number;
}

const WRITE_SIZE = 16 * 1024;

export async function streamChunks(chunks: Iterable<string>, stream: NodeJS.WritableStream, opts: StreamChunksOptions = {}): Promise<boolean> {
  const writeSize = opts.writeSize ?? WRITE_SIZE;
  let failure: NodeJS.ErrnoException | null = null;
  let gone = false;
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') gone = true;
    else failure = err;
  };
  stream.on('error', onError);
  const closedOrFailed = (): boolean => gone || failure !== null || (stream as { destroyed?: boolean }).destroyed === true;
  const write = async (text: string): Promise<void> => {
    if (closedOrFailed()) return;
    if (stream.write(text)) return;
    // Resolved by 'drain', or by 'close' / 'error' (then nothing more is written).
    const ac = new AbortController();
    await Promise.race([once(stream, 'drain', { signal: ac.signal }), once(stream, 'close', { signal: ac.signal }), errorOnce(stream, ac.signal)]).catch(() => undefined);
    ac.abort();
  };
  try {
    // Concatenated, not collected in an array to join: V8 links the pieces (a rope) and copies
    // them once, when the write encodes the text; a million pieces pushed and joined cost more.
    let pending = '';
    for (const chunk of chunks) {
      pending += chunk;
      if (pending.length >= writeSize) {
        const text = pending;
        pending = '';
        await write(text);
        if (closedOrFailed()) break;
      }
    }
    // The last write is waited for, so an error from it (EPIPE) is known before returning.
    if (!closedOrFailed()) {
      const text = pending + (opts.suffix ?? '');
      await new Promise<void>((resolve) => {
        stream.write(text, (err?: Error | null) => {
          if (err) onError(err as NodeJS.ErrnoException);
          resolve();
        });
      });
    }
  } finally {
    // After a failure the stream may still emit the error (it is destroyed on the next tick):
    // the listener stays so that it is not thrown as unhandled.
    if (!closedOrFailed()) stream.off('error', onError);
  }
  if (failure) throw failure;
  return !gone;
}

function errorOnce(stream: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return once(stream, 'error', { signal }).then(() => undefined);
}
