/**
 * The capture inputs every analysing command shares (`flows`, `analyze`, `check`, `report`,
 * `tui`): the captures argument, the side files (`--rules`, `--conntrack`) and the SLL2 interface
 * names (`--iface-names`, `--links`), declared, validated and turned into the options
 * `analyzeCaptures` / `loadCaptures` take in one place, so the commands cannot drift apart.
 */
import { existsSync, statSync } from 'node:fs';
import { readTextHead } from '../read/read-text-file.js';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { AnalyzeOptions } from '../correlate/analyze.js';
import { looksLikeConntrack, looksLikeRules, readConntrackFile, readRulesFile, readSideText } from '../correlate/side-files.js';
import { parseIfaceNames, parseLinksDump } from '../flows/interface-names.js';
import type { SetExitCode } from './exit-codes.js';
import { reportBadInput } from './report-error.js';

export const CAPTURES_ARGUMENT_HELP =
  'capture files or directories (pcap, pcapng, gzip; - for stdin); name=file names the interface';

/** What commander hands the action for the options `addCaptureOptions` declares. */
export interface CaptureCliOptions {
  rules?: string[];
  conntrack?: string[];
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
      .option('--rules <file>', 'iptables-save, iptables -t nat -L -n -v or nft list ruleset output: name the rule behind each rewrite (repeatable: an iptables-save and an ip6tables-save dump)', collect)
      .option('--conntrack <file>', 'conntrack -L [-o extended] output, or a conntrack -E log: corroborate pairs and confirm NAT mappings (repeatable)', collect);
  }
  return cmd
    .option('--iface-names <map>', 'name SLL2 (-i any) interface indexes: 1=lo,2=docker0')
    .option('--links <file>', 'name SLL2 interface indexes from `ip -o link` or `ip -j link` output (default: ip-link.json, ip-link.txt or links.txt inside a capture directory)');
}

/** A repeatable option's values, in the order given. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export type ResolvedCaptureOptions = Required<Pick<AnalyzeOptions, 'rules' | 'conntrack' | 'ifindexNames' | 'sideFilesBeside'>>;

/**
 * Parses the interface names and reads the side files: here, once and whole, since `--rules
 * <(iptables-save -c)` is a pipe, empty when read again. Throws a plain Error whose message is
 * the one line to print.
 */
export function parseCaptureOptions(opts: CaptureCliOptions, captures: readonly string[] = []): ResolvedCaptureOptions {
  const names = new Map<number, string>();
  const links = opts.links ?? (opts.ifaceNames ? undefined : linksDumpBeside(captures));
  if (links) for (const [k, v] of parseLinksDump(readSideText('--links', links))) names.set(k, v);
  if (opts.ifaceNames) for (const [k, v] of parseIfaceNames(opts.ifaceNames)) names.set(k, v);
  const rules = (opts.rules ?? []).map(readRulesFile);
  const conntrack = (opts.conntrack ?? []).map(readConntrackFile);
  const sideFilesBeside = {
    rules: rules.length > 0 ? [] : dumpsBeside(captures, RULES_DUMP_NAMES, looksLikeRules),
    conntrack: conntrack.length > 0 ? [] : dumpsBeside(captures, CONNTRACK_DUMP_NAMES, looksLikeConntrack),
  };
  return { rules, conntrack, ifindexNames: names, sideFilesBeside };
}

/** What `captures/record.sh` and the README's recipe name the dumps (both families' rules; `conntrack -L` and `-E`). */
const RULES_DUMP_NAMES = ['iptables-save.txt', 'ip6tables-save.txt', 'nft-ruleset.txt', 'rules.txt'];
const CONNTRACK_DUMP_NAMES = ['conntrack.txt', 'conntrack-events.txt'];

/**
 * Side files a capture directory also holds, for the hint that says how to use them. Not read
 * as --rules / --conntrack unasked (unlike a link dump, without which an `-i any` capture has no
 * interface names): a ruleset saved at another time would put rules the capture never met into
 * the explanations. Only a file whose start looks like such a dump is named.
 */
function dumpsBeside(captures: readonly string[], names: readonly string[], looksRight: (head: string) => boolean): string[] {
  const out: string[] = [];
  for (const dir of captureDirectories(captures)) {
    for (const name of names) {
      const p = join(dir, name);
      if (looksRight(readTextHead(p, 4096))) out.push(p);
    }
  }
  return out;
}

function captureDirectories(captures: readonly string[]): string[] {
  return captures.filter((c) => c !== '-' && !c.includes('=') && existsSync(c) && statSync(c).isDirectory());
}

/** Link dumps a capture directory may carry (the recorder's names first, then a generic one). */
const LINK_DUMP_NAMES = ['ip-link.json', 'ip-link.txt', 'links.txt'];

/**
 * An `-i any` capture names interfaces only by index; when the user hands over a directory that
 * also holds the host's `ip -j link` / `ip -o link` dump (as `captures/record.sh` writes, or as
 * the README's capture recipe suggests), use it, so the directory alone is a complete input.
 */
function linksDumpBeside(captures: readonly string[]): string | undefined {
  for (const c of captureDirectories(captures)) {
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
