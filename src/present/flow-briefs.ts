import type { Flow } from '../flows/flow.js';
import type { Analysis } from '../correlate/model.js';
import { briefFlow, type FlowBrief } from '../correlate/flow-summary.js';
import { unsummarizedFlows } from '../correlate/flow-summaries.js';

/**
 * A flow's brief by id: taken from the analysis' summaries once they are written, else made from
 * the flow as it is printed (see ../correlate/flow-summaries.ts) and not kept.
 */
export function flowBriefs(a: Analysis, flows: Map<string, Flow>): (id: string) => FlowBrief | undefined {
  const pending = unsummarizedFlows(a);
  if (pending === null) {
    const summaries = new Map<string, FlowBrief>(a.flows.map((f) => [f.id, f]));
    return (id) => summaries.get(id);
  }
  // Only the flows the summaries would cover: a selection's analysis covers the flows it keeps.
  const covered = pending.length === flows.size ? null : new Set(pending.map((f) => f.id));
  return (id) => {
    const f = covered === null || covered.has(id) ? flows.get(id) : undefined;
    return f === undefined ? undefined : briefFlow(f);
  };
}
