import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

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
