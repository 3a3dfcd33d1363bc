import { useEffect, useState } from 'react';
import type { Flow } from '../../../flows/flow.js';
import { readFlowPackets, type FlowPackets } from '../flow-packets.js';

/** Packets of one flow, re-read from its capture file the first time the pane shows it. */
export function useFlowPackets(flow: Flow | null, enabled: boolean): FlowPackets | null {
  const [cache] = useState(() => new Map<string, FlowPackets>());
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!flow || !enabled || cache.has(flow.id)) return;
    let alive = true;
    readFlowPackets(flow).then((r) => {
      cache.set(flow.id, r);
      if (alive) setTick((t) => t + 1);
    });
    return () => {
      alive = false;
    };
  }, [flow, enabled, cache]);
  return flow ? (cache.get(flow.id) ?? null) : null;
}
