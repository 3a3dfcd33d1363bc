import type { Command } from 'commander';
import { EXIT_BAD_INPUT, type SetExitCode } from '../exit-codes.js';
import { reportBadInput, reportCaptureErrors } from '../report-error.js';
import { addCaptureOptions, parseCaptureOptions, resolveCaptureOptions, type CaptureCliOptions, type ResolvedCaptureOptions } from '../capture-options.js';
import { analyzeCaptures } from '../../correlate/analyze.js';
import { readPackageVersion } from '../version.js';
import { NothingLoaded, type TuiLoader } from '../../present/tui/load-source.js';
import type { ConversationSelection } from '../../present/select-conversations.js';
import { addSelectionOptions, applySelection, resolveSelection, type SelectionCliOptions } from '../selection-options.js';

export const NOT_A_TTY_MESSAGE =
  "natflow: tui needs an interactive terminal (stdout is not a TTY); use 'natflow analyze' for text or JSON output";

/**
 * Captures → Analysis + flows through analyze's pipeline, reporting read progress to the UI; with
 * a selection (--match / --mechanism) the list holds only the conversations asked about.
 * `inputs`: the side files as the command read them (once: a `<(…)` pipe is empty after);
 * by default what the captures' directories hold.
 */
export function pipelineLoader(captures: string[], inputs: ResolvedCaptureOptions = parseCaptureOptions({}, captures), selection: ConversationSelection | null = null): TuiLoader {
  return async (events) => {
    const result = await analyzeCaptures(captures, {
      ...inputs,
      version: readPackageVersion(),
      onProgress: (p) => events.progress({ phase: 'reading', ...p }),
      signal: events.signal,
      stop: events.stop,
    });
    // Nothing readable at all: say why instead of showing an empty list.
    if (result.analysis.captures.every((c) => c.packets === 0) && result.errors.length > 0) throw new NothingLoaded(result.errors);
    const analysis = selection ? applySelection(result.analysis, result.flowsById, selection) : result.analysis;
    return { analysis, flows: result.flows, errors: result.errors };
  };
}

export function registerTuiCommand(program: Command, setExitCode: SetExitCode): void {
  const cmd = program
    .command('tui')
    .description('browse the correlated flows in a full-screen terminal UI (same inputs as analyze)')
    // Not `-`: the terminal is stdin.
    .argument('<captures...>', 'capture files or directories; name=file names the interface');
  addSelectionOptions(cmd);
  addCaptureOptions(cmd).action(async (captures: string[], opts: CaptureCliOptions & SelectionCliOptions) => {
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      process.stderr.write(`${NOT_A_TTY_MESSAGE}\n`);
      setExitCode(EXIT_BAD_INPUT);
      return;
    }
    // Bad selectors and side inputs are reported before the screen is taken over.
    const selection = resolveSelection('tui', opts, setExitCode);
    if (!selection) return;
    const inputs = resolveCaptureOptions(opts, setExitCode, captures);
    if (!inputs) return;
    const { runTui } = await import('../../present/tui/run-tui.js');
    try {
      const data = await runTui(pipelineLoader(captures, inputs, selection));
      // Captures cut short were browsed as far as they go; said again here, on the normal screen,
      // with the exit code analyze gives them.
      if (data) reportCaptureErrors(data.errors, setExitCode);
      else exitSoonAfterQuitWhileLoading();
    } catch (e) {
      // Nothing could be read: runTui never took the screen (or gave it back at once).
      if (e instanceof NothingLoaded) reportCaptureErrors(e.errors, setExitCode);
      else reportBadInput(e, setExitCode);
    }
  });
}

/** How long a load told to stop (the user quit) may take to do so before the process just ends. */
const STOP_GRACE_MS = 250;

/**
 * The user quit before the load ended. It was told to stop and a file's read does at its next
 * chunk; a read waiting on a pipe (`eth0=<(ssh host tcpdump -w - …)`) cannot be interrupted and
 * would keep the process, and the shell, waiting for the pipe's writer to end. The timer does not
 * keep the process alive: when the load stops in time, the process ends on its own.
 */
function exitSoonAfterQuitWhileLoading(): void {
  setTimeout(() => process.exit(process.exitCode ?? 0), STOP_GRACE_MS).unref();
}
