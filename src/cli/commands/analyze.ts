import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { analyzeCaptures } from '../../correlate/analyze.js';
import { reportStopped } from '../stop-on-interrupt.js';
import { whileReading } from '../reading-feedback.js';
import { analysisTextChunks } from '../../present/analysis-text.js';
import { analysisMarkdownLines } from '../../present/analysis-markdown.js';
import { analysisBriefChunks } from '../../present/analysis-brief.js';
import { streamAnalysisJson } from '../../present/analysis-json.js';
import { mermaidDiagramHook } from '../../present/mermaid.js';
import { noColorRequested } from '../../present/colour.js';
import { streamChunks } from '../../present/stream-chunks.js';
import { addSelectionOptions, applySelection, resolveSelection, type SelectionCliOptions } from '../selection-options.js';
import { CAPTURES_ARGUMENT_HELP, addCaptureOptions, resolveCaptureOptions, type CaptureCliOptions } from '../capture-options.js';
import type { SetExitCode } from '../exit-codes.js';
import { reportBadInput, reportCaptureErrors } from '../report-error.js';
import { readPackageVersion } from '../version.js';

interface AnalyzeCliOptions extends CaptureCliOptions, SelectionCliOptions {
  json?: boolean;
  markdown?: boolean;
  brief?: boolean;
}

/** The seed article's scenario (`curl localhost:5000` through docker-proxy): its lo and docker0 captures. */
export function bundledSample(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/cli/commands and dist/src/cli/commands are three and four levels below the package root.
  for (const up of ['../../..', '../../../..']) {
    const dir = join(here, up, 'captures', '01-localhost-proxy');
    const files = ['lo.pcap', 'docker0.pcap'].map((f) => join(dir, f));
    if (files.every((f) => existsSync(f))) return files;
  }
  return [];
}

export function registerAnalyzeCommand(program: Command, setExitCode: SetExitCode): void {
  const cmd = program
    .command('analyze')
    .description('pair the flows that are one conversation across NAT / the userland proxy, say which mechanism did it and why')
    .argument('[captures...]', `${CAPTURES_ARGUMENT_HELP}. Default: the bundled sample (curl localhost:5000 through docker-proxy)`)
    .option('--json', 'one JSON document (captures, flows, correlations, unpaired, …)')
    .option('--markdown', 'a Markdown report to paste into an issue or a wiki')
    .option('--brief', 'a line per conversation (path, mechanism, confidence), for busy hosts, grep and CI logs');
  addSelectionOptions(cmd);
  addCaptureOptions(cmd).action(async (captures: string[], opts: AnalyzeCliOptions) => {
    const formats = (['json', 'markdown', 'brief'] as const).filter((f) => opts[f] === true);
    if (formats.length > 1) return reportBadInput(`analyze: give one of --json, --markdown and --brief, not ${formats.map((f) => `--${f}`).join(' and ')}`, setExitCode);
    // Checked before any capture is read: a typo should not cost a long read.
    const selection = resolveSelection('analyze', opts, setExitCode);
    if (!selection) return;
    const inputs = resolveCaptureOptions(opts, setExitCode, captures);
    if (!inputs) return;
    let files = captures;
    if (files.length === 0) {
      files = bundledSample();
      if (files.length === 0) return reportBadInput('analyze: no capture given and the bundled sample (captures/01-localhost-proxy) is not installed', setExitCode);
    }
    const result = await whileReading(true, (hooks) => analyzeCaptures(files, { ...inputs, version: readPackageVersion(), ...hooks }));
    // What was read before a fault is still analyzed and printed; the exit code says it was cut short.
    reportCaptureErrors(result.errors, setExitCode);
    reportStopped(result.stopped, setExitCode);
    const analysis = applySelection(result.analysis, result.flowsById, selection);
    if (opts.json) {
      // Written in pieces: the whole document as one string costs more memory than the analysis.
      await streamAnalysisJson(analysis, process.stdout, { suffix: '\n' });
      return;
    }
    // Text and Markdown are written a conversation at a time too.
    if (opts.markdown) {
      const lines = analysisMarkdownLines(analysis, result.flowsById, { renderCorrelationDiagram: mermaidDiagramHook(analysis) });
      await streamChunks(linesEndingInNewline(lines), process.stdout);
      return;
    }
    const tty = process.stdout.isTTY === true;
    const color = tty && !noColorRequested();
    if (opts.brief) {
      await streamChunks(analysisBriefChunks(analysis, result.flowsById, { color }), process.stdout);
      return;
    }
    const width = tty ? Math.min(process.stdout.columns || 80, 120) : 80;
    await streamChunks(analysisTextChunks(analysis, result.flowsById, { color, width, explainUnpaired: result.explainUnpaired }), process.stdout);
  });
}

/**
 * Each line followed by a newline, as one string joined with newlines and ended by exactly one:
 * a last empty line is the joined text's own final newline, not another.
 */
function* linesEndingInNewline(lines: Iterable<string>): Generator<string, void, undefined> {
  let held: string | null = null;
  for (const line of lines) {
    if (held !== null) yield `${held}\n`;
    held = line;
  }
  if (held !== null && held !== '') yield `${held}\n`;
}
