/**
 * `natflow analyze --json` written in pieces: the same bytes as `JSON.stringify(analysis, null, 2)`
 * (key order, indentation, escaping), but produced one top-level field, one flow, one correlation
 * or one unpaired id at a time, so the document never exists whole in memory. On a capture of tens
 * of thousands of conversations the whole string (and the copies made to write it) was larger
 * than the analysis itself.
 *
 * A correlation's lazily written hops, evidence and explanation are written for the output only
 * (`LazyCorrelation.transientPlain`): they are not kept once written.
 */
import type { Analysis } from '../correlate/model.js';
import { LazyCorrelation } from '../correlate/lazy-correlation.js';
import { unsummarizedFlows } from '../correlate/flow-summaries.js';
import { summarizeFlow } from '../correlate/flow-summary.js';
import { streamChunks, type StreamChunksOptions } from './stream-chunks.js';

export interface AnalysisJsonOptions {
  /** As JSON.stringify's `space` when it is a number: spaces per level, 0 = one compact line. */
  space?: number;
}

function gapOf(space: number | undefined): string {
  // JSON.stringify clamps a numeric space to [0, 10] and truncates it.
  const n = Math.min(10, Math.max(0, Math.trunc(space ?? 2)));
  return Number.isFinite(n) ? ' '.repeat(n) : '';
}

/**
 * An element of one of the analysis' arrays (depth 2 in the document) as JSON.stringify writes it
 * there (`null` for what JSON has no value for). Stringified inside two wrapper arrays, it comes
 * out indented for depth 2 already; the wrappers are cut off (a slice, not a copy). Re-indenting
 * a depth-0 text line by line cost more than the stringify itself.
 */
function elementJson(v: unknown, gap: string): string {
  const value = v instanceof LazyCorrelation ? v.transientPlain() : v;
  const text = JSON.stringify([[value]], null, gap);
  if (gap === '') return text.slice(2, -2);
  return text.slice(4 + 3 * gap.length, -(4 + gap.length));
}

/**
 * The document in pieces; joined, they are exactly `JSON.stringify(analysis, null, space)`.
 * Arrays among the analysis' fields are written one element per piece, any other field whole.
 */
export function* analysisJsonChunks(analysis: Analysis, opts: AnalysisJsonOptions = {}): Generator<string, void, undefined> {
  const gap = gapOf(opts.space);
  const nl = gap === '' ? '' : '\n';
  const colon = gap === '' ? ':' : ': ';
  const holder = analysis as unknown as Record<string, unknown> & { toJSON?: unknown };
  if (typeof holder.toJSON === 'function') {
    // Not the model's shape: nothing to stream.
    yield JSON.stringify(analysis, null, gap);
    return;
  }
  const in1 = gap;
  const in2 = gap + gap;
  let fields = 0;
  // Object.keys is the order JSON.stringify writes (own enumerable string keys, lazy fields included).
  for (const key of Object.keys(holder)) {
    const lead = `${fields === 0 ? '{' : ','}${nl}${in1}${JSON.stringify(key)}${colon}`;
    // Unwritten flow summaries are made one at a time for the output and not kept.
    const pending = key === 'flows' ? unsummarizedFlows(analysis) : null;
    const value = pending === null ? holder[key] : null;
    const items: readonly unknown[] | null = pending ?? (Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function' ? value : null);
    if (items !== null) {
      fields++;
      if (items.length === 0) {
        yield `${lead}[]`;
        continue;
      }
      yield `${lead}[`;
      for (let i = 0; i < items.length; i++) {
        const item = pending !== null ? summarizeFlow(pending[i]) : items[i];
        yield `${i === 0 ? '' : ','}${nl}${in2}${elementJson(item, gap)}`;
      }
      yield `${nl}${in1}]`;
      continue;
    }
    const text = JSON.stringify(value, null, gap) as string | undefined;
    // undefined, functions and symbols: JSON.stringify leaves the field out.
    if (text === undefined) continue;
    fields++;
    yield lead + (gap === '' ? text : text.replaceAll('\n', `\n${in1}`));
  }
  yield fields === 0 ? '{}' : `${nl}}`;
}

/** Writes the document to `sink` piece by piece (see analysisJsonChunks). */
export function writeAnalysisJson(analysis: Analysis, sink: (chunk: string) => void, opts: AnalysisJsonOptions = {}): void {
  for (const chunk of analysisJsonChunks(analysis, opts)) sink(chunk);
}

export interface StreamJsonOptions extends AnalysisJsonOptions, StreamChunksOptions {}

/**
 * Writes the document to a stream (process.stdout), waiting for 'drain' whenever the stream asks
 * to (./stream-chunks.ts). When the reader goes away (`natflow analyze --json | head`: EPIPE)
 * writing stops quietly and the result is false; other stream errors are thrown.
 */
export function streamAnalysisJson(analysis: Analysis, stream: NodeJS.WritableStream, opts: StreamJsonOptions = {}): Promise<boolean> {
  return streamChunks(analysisJsonChunks(analysis, opts), stream, opts);
}
