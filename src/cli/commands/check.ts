import { closeSync, openSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { analyzeCaptures } from '../../correlate/analyze.js';
import { whileReading } from '../reading-feedback.js';
import { linkControlKind, type LinkControlKind } from '../../flows/link-control.js';
import { withOutput } from '../buffered-output.js';
import { CAPTURES_ARGUMENT_HELP, addCaptureOptions, resolveCaptureOptions, type CaptureCliOptions } from '../capture-options.js';
import { EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, type SetExitCode } from '../exit-codes.js';
import { describeWriteError, printErrorLine, reportBadInput, reportError } from '../report-error.js';
import { readPackageVersion } from '../version.js';

/**
 * A file the command writes once the captures are analyzed (the JUnit report, the --init file),
 * opened before they are read: a path that cannot be written fails at once, in the documented
 * form `<file>: cannot write <what>: <why>`, rather than after a long read with Node's errno text.
 */
class OutputFile {
  private constructor(
    private readonly path: string,
    private readonly what: string,
    private readonly fd: number,
  ) {}

  /** Throws an Error whose message is the line to print. */
  static open(path: string, what: string): OutputFile {
    try {
      return new OutputFile(path, what, openSync(path, 'w'));
    } catch (err) {
      throw new Error(`${path}: cannot write ${what}: ${describeWriteError(err)}`);
    }
  }

  /** Writes the whole text and closes the file; throws as `open` does (a full disk, say). */
  write(text: string): void {
    try {
      writeFileSync(this.fd, text);
    } catch (err) {
      throw new Error(`${this.path}: cannot write ${this.what}: ${describeWriteError(err)}`);
    } finally {
      closeSync(this.fd);
    }
  }
}

interface CheckOptions extends CaptureCliOptions {
  expect?: string;
  init?: boolean;
  output?: string;
  json?: boolean;
  junit?: string;
}

export function registerCheckCommand(program: Command, setExitCode: SetExitCode): void {
  const cmd = program
    .command('check')
    .description('assert what the captures must show (expectations file); exit 0 when all hold, 1 when one fails, 2 on bad input')
    .argument('<captures...>', CAPTURES_ARGUMENT_HELP)
    .option('--expect <file>', 'expectations file (YAML), see examples/expectations/')
    .option('--init', 'write an expectations file describing what the captures show, as a starting point')
    .option('-o, --output <file>', 'with --init: write the file here instead of stdout')
    .option('--json', 'print the results as JSON')
    .option('--junit <file>', 'also write the results as JUnit XML (one test case per expectation)');
  addCaptureOptions(cmd).action(async (captures: string[], opts: CheckOptions) => {
    if (opts.init && opts.expect) return reportBadInput('check: give either --expect FILE or --init, not both', setExitCode);
    if (!opts.init && !opts.expect) return reportBadInput('check: --expect FILE is required (or --init to write one)', setExitCode);
    if (opts.output && !opts.init) return reportBadInput('check: -o/--output only goes with --init (use --junit FILE for a report file)', setExitCode);

    // Loaded here, not with the CLI: the YAML parser would add to every other command's start-up.
    const { ExpectationsError, evaluate, formatJunit, formatReportJson, formatReportText, generateExpectations, inputErrorsOf, loadExpectationsFile } = await import(
      '../../check/index.js'
    );
    // The expectations are validated before any capture is read: a typo should not cost a long read.
    let set = null;
    if (opts.expect) {
      try {
        set = loadExpectationsFile(opts.expect);
      } catch (err) {
        if (!(err instanceof ExpectationsError)) throw err;
        for (const l of err.lines()) printErrorLine(l);
        setExitCode(EXIT_BAD_INPUT);
        return;
      }
    }
    const inputs = resolveCaptureOptions(opts, setExitCode, captures);
    if (!inputs) return;
    let junitFile: OutputFile | null = null;
    let initFile: OutputFile | null = null;
    try {
      if (opts.junit && !opts.init) junitFile = OutputFile.open(opts.junit, 'the JUnit report');
      if (opts.output && opts.init) initFile = OutputFile.open(opts.output, 'the expectations file');
    } catch (err) {
      return reportBadInput(err, setExitCode);
    }

    const started = Date.now();
    const version = readPackageVersion();
    // Progress only: Ctrl-C stops a check outright (a verdict on part of the input is no verdict).
    const result = await whileReading(false, (hooks) => analyzeCaptures(captures, { ...inputs, version, ...hooks }));
    // A damaged capture makes any verdict doubtful: still report, but never exit 0 or 1. The same
    // faults go into the report itself (text, JSON, JUnit), which may be all a CI log shows.
    const inputErrors = inputErrorsOf(result.analysis.captures, result.errors);
    for (const e of inputErrors) printErrorLine(`${e.file}: ${e.message}`);
    const badCapture = inputErrors.length > 0;
    if (badCapture) setExitCode(EXIT_BAD_INPUT);

    // Each control flow's kind: a note about the flows not counted names only the kinds there.
    const linkControl = new Map<string, LinkControlKind>();
    for (const f of result.flows) {
      const kind = linkControlKind(f);
      if (kind !== null) linkControl.set(f.id, kind);
    }
    await withOutput((out) => {
      if (opts.init) {
        const text = generateExpectations(result.analysis, { captures, version, linkControl, inputErrors });
        let written = true;
        if (initFile) written = writeOrReport(initFile, text);
        else out.line(text.replace(/\n$/, ''));
        setExitCode(badCapture || !written ? EXIT_BAD_INPUT : EXIT_OK);
        return;
      }
      if (!set) return;
      const retransmissions = new Map(result.flows.map((f) => [f.id, f.fwd.retransmissions + f.rev.retransmissions]));
      const report = evaluate(set, { analysis: result.analysis, retransmissions, linkControl, inputErrors });
      let written = true;
      if (junitFile) {
        const xml = formatJunit(report, { durationSec: (Date.now() - started) / 1000, timestamp: new Date(started).toISOString() });
        written = writeOrReport(junitFile, xml);
      }
      out.line((opts.json ? formatReportJson(report) : formatReportText(report)).replace(/\n$/, ''));
      // An expectation that could not be evaluated is bad input too, not a failed expectation; a
      // report that could not be written leaves CI without it, whatever the results.
      const bad = badCapture || report.notEvaluated !== undefined || !written;
      setExitCode(bad ? EXIT_BAD_INPUT : report.passed ? EXIT_OK : EXIT_CHECK_FAILED);
    });
  });
}

/** Writes the file, or prints why it could not be written; returns whether it was. */
function writeOrReport(file: OutputFile, text: string): boolean {
  try {
    file.write(text);
    return true;
  } catch (err) {
    reportError(err);
    return false;
  }
}
