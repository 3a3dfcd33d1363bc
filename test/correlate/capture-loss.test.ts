/**
 * A capture that missed packets (tcpdump's "dropped by kernel"): 08's docker0 recording with every
 * ninth frame deleted by editcap. The conversations are still paired exactly as truth.json says,
 * streams whose sequence numbers skip bytes (a lost last segment shows only in the FIN) are
 * counted as tshark counts "previous segment not captured", and the inferences say so.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { checkAgainstTruth, scenariosByNumber } from './truth.js';
import { hasCommand, tsharkFields } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-dir.js';

const s = scenariosByNumber().get('08');

describe.skipIf(s === undefined || !hasCommand('editcap') || !hasCommand('tshark'))('08 with packets missing from the docker0 capture', () => {
  it('pairs every conversation as truth.json says and counts the streams with holes as tshark does', async () => {
    const src = s!.perInterface.docker0;
    const frames = tsharkFields(src, 'frame', ['frame.number']).length;
    const drop: string[] = [];
    for (let n = 7; n <= frames; n += 9) drop.push(String(n));
    const lossy = join(tempDir('natflow-loss-'), 'docker0.pcap');
    execFileSync('editcap', [src, lossy, ...drop]);
    const files = Object.entries(s!.perInterface).map(([i, f]) => (i === 'docker0' ? lossy : f));
    const r = await analyzeCaptures(files);
    expect(checkAgainstTruth(s!, r.analysis, r.flows, new Set(Object.keys(s!.perInterface)))).toEqual([]);
    // tshark's "previous segment not captured", per connection.
    const holes = new Set(tsharkFields(lossy, 'tcp.analysis.lost_segment', ['tcp.stream']).map((x) => x[0])).size;
    expect(holes).toBeGreaterThan(0);
    expect(r.flows.filter((f) => f.file === lossy && (f.fwd.gapBytes > 0 || f.rev.gapBytes > 0))).toHaveLength(holes);
    const note = r.analysis.inferences.find((i) => i.startsWith('the capture missed packets'));
    expect(note).toContain(`${holes} connections in ${lossy}`);
    // Only the file that lost packets is named.
    for (const f of files.filter((x) => x !== lossy)) expect(note).not.toContain(f);
  });
});
