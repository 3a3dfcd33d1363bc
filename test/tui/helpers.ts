import { EventEmitter } from 'node:events';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import type { RunTuiOptions } from '../../src/present/tui/run-tui.js';

/** The seed article's scenario: curl 127.0.0.1:5000 on the host, relayed by docker-proxy. */
export const ARTICLE_DIR = path.join(repoRoot, 'captures/01-localhost-proxy');
export const ARTICLE_CAPTURES = ['lo.pcap', 'docker0.pcap', 'eth0.pcap'].map((f) => path.join('captures/01-localhost-proxy', f));

export const KEY = {
  enter: '\r',
  tab: '\t',
  shiftTab: '\x1b[Z',
  escape: '\x1b',
  backspace: '\x7f',
  up: '\x1b[A',
  down: '\x1b[B',
  left: '\x1b[D',
  right: '\x1b[C',
  end: '\x1b[F',
  home: '\x1b[H',
  pageDown: '\x1b[6~',
  ctrlC: '\x03',
};

export async function waitFor(what: () => boolean, label: string, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!what()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const tick = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A terminal for runTui outside a real one: what was written, and keys to send (as ink-testing-library's). */
export class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  columns = 100;
  rows = 30;
  written = '';
  write = (chunk: string): boolean => {
    this.written += chunk;
    return true;
  };
}

export class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  isRaw = false;
  private pending: string | null = null;
  /** Sends keys: one chunk, as a terminal delivers them. */
  send(data: string): void {
    this.pending = data;
    this.emit('readable');
  }
  read = (): string | null => {
    const d = this.pending;
    this.pending = null;
    return d;
  };
  setRawMode(raw: boolean): this {
    this.isRaw = raw;
    return this;
  }
  setEncoding(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** The fakes typed as the streams runTui takes. */
export function fakeTerminal(): { stdout: FakeStdout; stdin: FakeStdin; streams: RunTuiOptions } {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const streams: RunTuiOptions = {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    // vitest's console cannot be patched by Ink.
    patchConsole: false,
  };
  return { stdout, stdin, streams };
}
