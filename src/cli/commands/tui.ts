import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { analyzeCaptures } from '../../correlate/analyze.js';
import { parseIfaceNames, parseLinksDump } from '../../flows/interface-names.js';
import { readPackageVersion } from '../version.js';
import type { TuiLoader } from '../../present/tui/load-source.js';
import type { SetExitCode } from './index.js';

interface TuiOptions {
  rules?: string;
  conntrack?: string;
  ifaceNames?: string;
  links?: string;
}

export const NOT_A_TTY_MESSAGE =
  "natflow: tui needs an interactive terminal (stdout is not a TTY); use 'natflow analyze' for text or JSON output";

function ifindexNames(opts: TuiOptions): Map<number, string> {
  const names = new Map<number, string>();
  if (opts.links) for (const [k, v] of parseLinksDump(readFileSync(opts.links, 'utf8'))) names.set(k, v);
  if (opts.ifaceNames) for (const [k, v] of parseIfaceNames(opts.ifaceNames)) names.set(k, v);
  return names;
}

/** Captures → Analysis + flows through analyze's pipeline, reporting read progress to the UI. */
export function pipelineLoader(captures: string[], opts: TuiOptions): TuiLoader {
  return async (events) => {
    const result = await analyzeCaptures(captures, {
      rulesFile: opts.rules ?? null,
      conntrackFile: opts.conntrack ?? null,
      ifindexNames: ifindexNames(opts),
      version: readPackageVersion(),
      onProgress: (p) => events.progress({ phase: 'reading', ...p }),
    });
    // Nothing readable at all: say why instead of showing an empty list.
    if (result.analysis.captures.every((c) => c.packets === 0) && result.errors.length > 0) throw result.errors[0];
    return { analysis: result.analysis, flows: result.flows };
  };
}

export function registerTuiCommand(program: Command, setExitCode: SetExitCode): void {
  program
    .command('tui')
    .description('browse the correlated flows in a full-screen terminal UI (same inputs as analyze)')
    .argument('<captures...>', 'capture files or directories; name=file names the interface')
    .option('--rules <file>', 'iptables-save / nft list ruleset output, to name the rule behind each rewrite')
    .option('--conntrack <file>', 'conntrack -L output, to confirm NAT mappings')
    .option('--iface-names <map>', 'SLL2 interface index names, e.g. 1=lo,2=docker0')
    .option('--links <file>', '`ip -o link` or `ip -j link` output naming SLL2 interface indexes')
    .action(async (captures: string[], opts: TuiOptions) => {
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        process.stderr.write(`${NOT_A_TTY_MESSAGE}\n`);
        setExitCode(EXIT_BAD_INPUT);
        return;
      }
      // Bad side inputs are reported before the screen is taken over.
      try {
        ifindexNames(opts);
        for (const f of [opts.rules, opts.conntrack]) if (f !== undefined) readFileSync(f);
      } catch (e) {
        reportError(e);
        setExitCode(EXIT_BAD_INPUT);
        return;
      }
      const { runTui } = await import('../../present/tui/run-tui.js');
      try {
        await runTui(pipelineLoader(captures, opts));
      } catch (e) {
        reportError(e);
        setExitCode(EXIT_BAD_INPUT);
      }
    });
}
