import { closeSync, createWriteStream, existsSync, openSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { analyzeCaptures } from '../../correlate/analyze.js';
import { whileReading } from '../reading-feedback.js';
import { reportParts, DEFAULT_MAX_DIAGRAMS } from '../../present/report/index.js';
import { streamChunks } from '../../present/stream-chunks.js';
import { DEFAULT_MAX_PACKETS_PER_LEG } from '../../present/ladder/index.js';
import { CAPTURES_ARGUMENT_HELP, addCaptureOptions, resolveCaptureOptions, type CaptureCliOptions } from '../capture-options.js';
import type { SetExitCode } from '../exit-codes.js';
import { describeWriteError, reportBadInput, reportCaptureErrors } from '../report-error.js';
import { readPackageVersion } from '../version.js';
import { addSelectionOptions, applySelection, resolveSelection, type SelectionCliOptions } from '../selection-options.js';

interface ReportCliOptions extends CaptureCliOptions, SelectionCliOptions {
  output?: string;
  maxPackets: string;
  maxDiagrams: string;
  title?: string;
}

function positiveInt(s: string, name: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new Error(`report: ${name} must be a whole number from 1 to 100000, got '${s}'`);
  return n;
}

export function registerReportCommand(program: Command, setExitCode: SetExitCode): void {
  const cmd = program
    .command('report')
    .description('write a self-contained HTML report: summary, one section and ladder diagram per conversation, unpaired flows')
    .argument('<captures...>', CAPTURES_ARGUMENT_HELP)
    .option('-o, --output <file>', 'write the HTML here (default: stdout)');
  addSelectionOptions(cmd);
  addCaptureOptions(cmd)
    .option('--max-packets <n>', 'packets drawn per leg in each diagram', String(DEFAULT_MAX_PACKETS_PER_LEG))
    .option('--max-diagrams <n>', 'diagrams drawn at most (the first conversations)', String(DEFAULT_MAX_DIAGRAMS))
    .option('--title <text>', 'page title', 'natflow report')
    .action(async (captures: string[], opts: ReportCliOptions) => {
      let maxPacketsPerLeg: number;
      let maxDiagrams: number;
      try {
        maxPacketsPerLeg = positiveInt(opts.maxPackets, '--max-packets');
        maxDiagrams = positiveInt(opts.maxDiagrams, '--max-diagrams');
      } catch (e) {
        return reportBadInput(e, setExitCode);
      }
      const selection = resolveSelection('report', opts, setExitCode);
      if (!selection) return;
      const inputs = resolveCaptureOptions(opts, setExitCode, captures);
      if (!inputs) return;
      // Opened before the captures are read: a path that cannot be written fails at once, in the
      // documented one-line form, not after the whole analysis with the system's message.
      let fd: number | null = null;
      let created = false;
      if (opts.output) {
        try {
          created = !existsSync(opts.output);
          fd = openSync(opts.output, 'w');
        } catch (err) {
          return reportBadInput(new Error(`${opts.output}: cannot write the report: ${describeWriteError(err)}`), setExitCode);
        }
      }
      const result = await whileReading(false, (hooks) => analyzeCaptures(captures, { ...inputs, version: readPackageVersion(), ...hooks }));
      // A damaged capture still gets its report (what was read counts), but never a clean exit.
      reportCaptureErrors(result.errors, setExitCode);
      // Nothing readable at all: an empty page would only hide the error.
      if (result.errors.length > 0 && result.analysis.captures.every((c) => c.packets === 0)) {
        // No page is written: leave no empty file behind either.
        if (fd !== null) closeSync(fd);
        if (created && opts.output) rmSync(opts.output, { force: true });
        return;
      }
      // Written a conversation at a time: the page of tens of thousands is larger than the analysis.
      const parts = reportParts(applySelection(result.analysis, result.flowsById, selection), result.flowsById, { maxPacketsPerLeg, maxDiagrams, title: opts.title });
      if (opts.output && fd !== null) {
        const out = createWriteStream(opts.output, { fd });
        await streamChunks(parts, out);
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      } else await streamChunks(parts, process.stdout);
    });
}
