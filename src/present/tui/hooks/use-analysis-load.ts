import { useEffect, useRef, useState } from 'react';
import type { Flow } from '../../../flows/flow.js';
import type { TuiData, TuiLoader, TuiProgress } from '../load-source.js';

export interface LoadState {
  progress: TuiProgress | null;
  /** Packets per second over the whole read so far. */
  rate: number;
  data: TuiData | null;
  flowsById: ReadonlyMap<string, Flow>;
  /** Why the load failed: nothing to show (the App leaves with it). */
  error: Error | null;
}

/** Progress is shown at most this often: the loader may call back thousands of times a second. */
const PROGRESS_INTERVAL_MS = 100;

export function useAnalysisLoad(loader: TuiLoader): LoadState {
  const [state, setState] = useState<LoadState>({ progress: null, rate: 0, data: null, flowsById: new Map(), error: null });
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    let alive = true;
    const t0 = Date.now();
    let last = 0;
    loader({
      progress(p) {
        const now = Date.now();
        if (!alive || now - last < PROGRESS_INTERVAL_MS) return;
        last = now;
        const secs = (now - t0) / 1000;
        setState((s) => ({ ...s, progress: { ...p }, rate: secs > 0 ? p.packets / secs : 0 }));
      },
    }).then(
      (data) => {
        if (!alive) return;
        const flowsById = new Map<string, Flow>();
        for (const f of data.flows) flowsById.set(f.id, f);
        setState((s) => ({ ...s, progress: null, data, flowsById }));
      },
      (err: unknown) => {
        if (alive) setState((s) => ({ ...s, progress: null, error: err instanceof Error ? err : new Error(String(err)) }));
      },
    );
    return () => {
      alive = false;
    };
  }, [loader]);
  return state;
}
