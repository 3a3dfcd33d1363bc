/**
 * The analysis' `flows` field (a summary of every flow) is written on first read. A presenter that
 * prints one flow at a time can ask for the flows behind it while it is still unwritten, and
 * summarize each as it prints it: 40,000 summaries made up front all survive to the end (copied
 * out of the young generation, then kept in old space), though each is printed once.
 */
import type { Flow } from '../flows/flow.js';
import type { Analysis } from './model.js';
import { summarizeFlow } from './flow-summary.js';
import { defineLazy, isLazyPending } from './lazy-field.js';

const sources = new WeakMap<object, () => readonly Flow[]>();

/** Defines `analysis.flows` as the summaries of `flows()`, in that order, made on first read. */
export function defineFlowSummaries(analysis: Analysis, flows: () => readonly Flow[]): void {
  defineLazy(analysis, 'flows', () => flows().map(summarizeFlow));
  sources.set(analysis, flows);
}

/** The flows `analysis.flows` will summarize, while it is unwritten; null once it is (or if it is not lazy). */
export function unsummarizedFlows(analysis: Analysis): readonly Flow[] | null {
  const flows = sources.get(analysis);
  return flows !== undefined && isLazyPending(analysis, 'flows') ? flows() : null;
}
