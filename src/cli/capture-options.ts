/**
 * The capture inputs every analysing command shares (`flows`, `analyze`, `check`, `report`,
 * `tui`): the captures argument, the side files (`--rules`, `--conntrack`) and the SLL2 interface
 * names (`--iface-names`, `--links`), declared, validated and turned into the options
 * `analyzeCaptures` / `loadCaptures` take in one place, so the commands cannot drift apart.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
    .option('--links <file>', 'name SLL2 interface indexes from `ip -o link` or `ip -j link` output (default: ip-link.json, ip-link.txt or links.txt inside a capture directory)');
}

export type ResolvedCaptureOptions = Required<Pick<AnalyzeOptions, 'rulesFile' | 'conntrackFile' | 'ifindexNames'>>;

/**
 * Parses the interface names and checks that the side files can be read. Throws a plain Error
 * whose message is the one line to print.
 */
export function parseCaptureOptions(opts: CaptureCliOptions, captures: readonly string[] = []): ResolvedCaptureOptions {
  const names = new Map<number, string>();
  const links = opts.links ?? (opts.ifaceNames ? undefined : linksDumpBeside(captures));
  if (links) for (const [k, v] of parseLinksDump(readFileSync(links, 'utf8'))) names.set(k, v);
  if (opts.ifaceNames) for (const [k, v] of parseIfaceNames(opts.ifaceNames)) names.set(k, v);
  for (const f of [opts.rules, opts.conntrack]) if (f !== undefined) readFileSync(f);
  return { rulesFile: opts.rules ?? null, conntrackFile: opts.conntrack ?? null, ifindexNames: names };
}

/** Link dumps a capture directory may carry (the recorder's names first, then a generic one). */
const LINK_DUMP_NAMES = ['ip-link.json', 'ip-link.txt', 'links.txt'];

/**
 * An `-i any` capture names interfaces only by index; when the user hands over a directory that
 * also holds the host's `ip -j link` / `ip -o link` dump (as `captures/record.sh` writes, or as
 * the README's capture recipe suggests), use it, so the directory alone is a complete input.
 */
function linksDumpBeside(captures: readonly string[]): string | undefined {
  for (const c of captures) {
    if (c === '-' || c.includes('=') || !existsSync(c) || !statSync(c).isDirectory()) continue;
    for (const name of LINK_DUMP_NAMES) {
      const p = join(c, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

/**
 * `parseCaptureOptions` for a command, before any capture is read (a typo should not cost a long
 * read): a bad option is reported as one line with exit code 2, and the result is null.
 */
export function resolveCaptureOptions(opts: CaptureCliOptions, setExitCode: SetExitCode, captures: readonly string[] = []): ResolvedCaptureOptions | null {
  try {
    return parseCaptureOptions(opts, captures);
  } catch (e) {
    reportBadInput(e, setExitCode);
    return null;
  }
}
