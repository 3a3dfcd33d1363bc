/**
 * The capture inputs every analysing command shares (`flows`, `analyze`, `check`, `report`,
 * `tui`): the captures argument, the side files (`--rules`, `--conntrack`) and the SLL2 interface
 * names (`--iface-names`, `--links`), declared, validated and turned into the options
 * `analyzeCaptures` / `loadCaptures` take in one place, so the commands cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AnalyzeOptions } from '../correlate/analyze.js';
import { parseIfaceNames, parseLinksDump } from '../flows/interface-names.js';
import type { SetExitCode } from './exit-codes.js';
import { reportBadInput } from './report-error.js';

export const CAPTURES_ARGUMENT_HELP =
  'capture files or directories (pcap, pcapng, gzip; - for stdin); name=file names the interface';

/** What commander hands the action for the options `addCaptureOptions` declares. */
export interface CaptureCliOptions {
  rules?: string;
  conntrack?: string;
  ifaceNames?: string;
  links?: string;
}

export interface CaptureOptionSet {
  /** `--rules` and `--conntrack`: only for commands that correlate (not `flows`). */
  sideFiles?: boolean;
}

/** Declares the shared options on `cmd` (in help order: side files, then interface names). */
export function addCaptureOptions(cmd: Command, set: CaptureOptionSet = { sideFiles: true }): Command {
  if (set.sideFiles) {
    cmd
      .option('--rules <file>', 'iptables-save, iptables -t nat -L -n -v or nft list ruleset output: name the rule behind each rewrite')
      .option('--conntrack <file>', 'conntrack -L [-o extended] output: corroborate pairs and confirm NAT mappings');
  }
  return cmd
    .option('--iface-names <map>', 'name SLL2 (-i any) interface indexes: 1=lo,2=docker0')
    .option('--links <file>', 'name SLL2 interface indexes from `ip -o link` or `ip -j link` output');
}

export type ResolvedCaptureOptions = Required<Pick<AnalyzeOptions, 'rulesFile' | 'conntrackFile' | 'ifindexNames'>>;

/**
 * Parses the interface names and checks that the side files can be read. Throws a plain Error
 * whose message is the one line to print.
 */
export function parseCaptureOptions(opts: CaptureCliOptions): ResolvedCaptureOptions {
  const names = new Map<number, string>();
  if (opts.links) for (const [k, v] of parseLinksDump(readFileSync(opts.links, 'utf8'))) names.set(k, v);
  if (opts.ifaceNames) for (const [k, v] of parseIfaceNames(opts.ifaceNames)) names.set(k, v);
  for (const f of [opts.rules, opts.conntrack]) if (f !== undefined) readFileSync(f);
  return { rulesFile: opts.rules ?? null, conntrackFile: opts.conntrack ?? null, ifindexNames: names };
}

/**
 * `parseCaptureOptions` for a command, before any capture is read (a typo should not cost a long
 * read): a bad option is reported as one line with exit code 2, and the result is null.
 */
export function resolveCaptureOptions(opts: CaptureCliOptions, setExitCode: SetExitCode): ResolvedCaptureOptions | null {
  try {
    return parseCaptureOptions(opts);
  } catch (e) {
    reportBadInput(e, setExitCode);
    return null;
  }
}
