import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCaptures } from '../src/flows/load-captures.js';
import { generateShortConnections } from './gen-short-connections.js';

export interface FlowsBenchResult {
  connections: number;
  packets: number;
  flows: number;
  seconds: number;
  flowsPerSecond: number;
  packetsPerSecond: number;
  /** Peak resident set size of this process, MiB (includes generation). */
  peakRssMiB: number;
}

/**
 * Reads a generated capture of `connections` short TCP connections through the flow table,
 * streaming finalized flows (retainFlows: false) as a long-capture consumer would, and reports
 * flows/s and peak RSS. The target: 1,000,000 connections under 300 MB.
 */
export async function runFlowsBench(connections = 1_000_000): Promise<FlowsBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'natflow-flows-bench-'));
  const file = join(dir, 'short-connections.pcap');
  try {
    const gen = generateShortConnections(file, connections);
    let flows = 0;
    const t0 = process.hrtime.bigint();
    const res = await loadCaptures([file], {
      flowOptions: {
        retainFlows: false,
        onFlowClosed: () => {
          flows++;
        },
      },
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (res.errors.length > 0) throw res.errors[0];
    return {
      connections,
      packets: gen.packets,
      flows,
      seconds,
      flowsPerSecond: flows / seconds,
      packetsPerSecond: gen.packets / seconds,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? 1_000_000);
  const r = await runFlowsBench(n);
  process.stdout.write(
    `flows: ${r.flows} flows from ${r.packets} packets in ${r.seconds.toFixed(1)} s: ` +
      `${Math.round(r.flowsPerSecond)} flows/s, ${Math.round(r.packetsPerSecond)} packets/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB\n`,
  );
}
