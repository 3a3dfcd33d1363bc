/**
 * A capture whose HTTP path carries markup: scenario 01 (localhost → docker-proxy → container)
 * with the request's path bytes rewritten in place, on both legs, to the same length. IP and TCP
 * lengths stay right; the TCP checksum goes stale, which natflow never checks (offloads make TX
 * checksums meaningless in host captures anyway, docker-nat-facts §2).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { capturesDir } from '../helpers/paths.js';

export const ORIGINAL_PATH = '/hello.txt?m=nf-s01-c1';
/** Same length as ORIGINAL_PATH: breaks out of attributes ("'>) and opens a script. */
export const HOSTILE_PATH = `/"'><script>x</script>`;

export function hostileCaptures(): string[] {
  if (HOSTILE_PATH.length !== ORIGINAL_PATH.length) throw new Error('hostile path must keep the length');
  const dir = mkdtempSync(path.join(tmpdir(), 'natflow-hostile-'));
  return ['lo.pcap', 'docker0.pcap'].map((name) => {
    const buf = readFileSync(path.join(capturesDir, '01-localhost-proxy', name));
    const from = Buffer.from(ORIGINAL_PATH, 'latin1');
    const to = Buffer.from(HOSTILE_PATH, 'latin1');
    let n = 0;
    for (let at = buf.indexOf(from); at >= 0; at = buf.indexOf(from, at + from.length)) {
      to.copy(buf, at);
      n++;
    }
    if (n === 0) throw new Error(`${name}: request path not found`);
    const out = path.join(dir, name);
    writeFileSync(out, buf);
    return out;
  });
}
