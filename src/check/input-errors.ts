/**
 * What was wrong with the captures a check ran on. A capture cut short still gives results (the
 * packets before the fault are analyzed), so a check can look green on half a capture: every
 * output of `check` (text, JSON, JUnit) carries these next to the results, and they make the
 * report not pass.
 */
import type { CaptureSummary } from '../correlate/model.js';
import type { CaptureError } from '../read/capture-error.js';

export interface InputError {
  /** The capture file (or directory) as given. */
  file: string;
  /** What is wrong, as the `natflow: <file>: <message>` line on stderr says it. */
  message: string;
  /** Byte at which reading stopped; null when the bytes were fine (a capture with no packets). */
  offset: number | null;
  /** Packets read from this file before the fault: the results cover only these of it. */
  packets: number;
}

/**
 * The read faults in argument order, then, when no capture held a single packet, each capture
 * that read cleanly but empty: nothing was there to check, which is not a pass either.
 */
export function inputErrorsOf(captures: readonly CaptureSummary[], errors: readonly CaptureError[]): InputError[] {
  const packetsOf = new Map<string, number>();
  for (const c of captures) packetsOf.set(c.file, (packetsOf.get(c.file) ?? 0) + c.packets);
  const out: InputError[] = errors.map((e) => ({ file: e.file, message: `${e.reason} at byte ${e.offset}`, offset: e.offset, packets: packetsOf.get(e.file) ?? 0 }));
  if (captures.every((c) => c.packets === 0)) {
    const faulty = new Set(errors.map((e) => e.file));
    for (const c of captures) if (!faulty.has(c.file)) out.push({ file: c.file, message: 'no packets', offset: null, packets: 0 });
  }
  return out;
}
