/**
 * The TUI's packet pane lists a flow's packets by reading its capture again. A capture that came
 * through a pipe (`natflow tui eth0=<(tcpdump -w - …)`, a FIFO) was read once: opening it again
 * would wait forever for a FIFO's writer, or take packets from a writer still running. The pane
 * says so instead, at once; a file is read again and listed.
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCaptures } from '../../src/flows/load-captures.js';
import { NOT_KEPT_FROM_PIPE, readFlowPackets } from '../../src/present/tui/flow-packets.js';
import { capturesDir } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const capture = path.join(capturesDir, '02-external-dnat', 'eth0.pcap');

describe('packets of a flow, read again for the TUI', () => {
  it('from a file: the flow\'s packets, one line each', async () => {
    const { flows } = await loadCaptures([capture]);
    const f = flows.find((x) => x.proto === 6)!;
    const r = await readFlowPackets(f);
    expect(r.error).toBeNull();
    expect(r.lines).toHaveLength(f.fwd.packets + f.rev.packets);
  });

  it('from a FIFO whose writer is gone: said at once, not waited for', async () => {
    const fifo = path.join(tempDir('natflow-flow-packets-'), 'eth0.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat '${capture}' > '${fifo}'`], { stdio: 'ignore' });
    const { flows, errors } = await loadCaptures([fifo]);
    await new Promise((resolve) => writer.once('exit', resolve));
    expect(errors).toEqual([]);
    const f = flows.find((x) => x.proto === 6)!;
    const t0 = Date.now();
    const r = await readFlowPackets(f);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r).toEqual({ lines: [], truncated: false, error: NOT_KEPT_FROM_PIPE });
  });
});
