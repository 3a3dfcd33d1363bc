import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { analyzeCaptures } from '../../correlate/analyze.js';
import { parseIfaceNames, parseLinksDump } from '../../flows/interface-names.js';
import { renderReport, DEFAULT_MAX_DIAGRAMS } from '../../present/report/index.js';
import { DEFAULT_MAX_PACKETS_PER_LEG } from '../../present/ladder/index.js';
import { sanitizeText } from '../../present/sanitize.js';
import { EXIT_BAD_INPUT, EXIT_OK } from '../exit-codes.js';
import { readPackageVersion } from '../version.js';
import type { SetExitCode } from './index.js';

interface ReportCliOptions {
  output?: string;
  rules?: string;
  conntrack?: string;
  ifaceNames?: string;
  links?: string;
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
  program
    .command('report')
    .description('write a self-contained HTML report: summary, one section and ladder diagram per conversation, unpaired flows')
    .argument('<captures...>', 'capture files or directories (pcap, pcapng, gzip; - for stdin); name=file names the interface')
    .option('-o, --output <file>', 'write the HTML here (default: stdout)')
    .option('--rules <file>', 'iptables-save / nft list ruleset output, to name the rule behind each rewrite')
    .option('--conntrack <file>', 'conntrack -L output, to confirm NAT mappings')
    .option('--iface-names <map>', 'name SLL2 (-i any) interface indexes: 1=lo,2=docker0')
    .option('--links <file>', 'name SLL2 interface indexes from `ip -o link` or `ip -j link` output')
    .option('--max-packets <n>', 'packets drawn per leg in each diagram', String(DEFAULT_MAX_PACKETS_PER_LEG))
    .option('--max-diagrams <n>', 'diagrams drawn at most (the first conversations)', String(DEFAULT_MAX_DIAGRAMS))
    .option('--title <text>', 'page title', 'natflow report')
    .action(async (captures: string[], opts: ReportCliOptions) => {
      let names = new Map<number, string>();
      let maxPacketsPerLeg: number;
      let maxDiagrams: number;
      try {
        maxPacketsPerLeg = positiveInt(opts.maxPackets, '--max-packets');
        maxDiagrams = positiveInt(opts.maxDiagrams, '--max-diagrams');
        if (opts.links) names = parseLinksDump(readFileSync(opts.links, 'utf8'));
        if (opts.ifaceNames) for (const [k, v] of parseIfaceNames(opts.ifaceNames)) names.set(k, v);
      } catch (e) {
        process.stderr.write(`natflow: ${sanitizeText(e instanceof Error ? e.message : String(e))}\n`);
        setExitCode(EXIT_BAD_INPUT);
        return;
      }
      const result = await analyzeCaptures(captures, {
        rulesFile: opts.rules ?? null,
        conntrackFile: opts.conntrack ?? null,
        ifindexNames: names,
        version: readPackageVersion(),
      });
      for (const e of result.errors) process.stderr.write(`natflow: ${sanitizeText(e.message)}\n`);
      // Nothing readable at all: an empty page would only hide the error.
      if (result.errors.length > 0 && result.analysis.captures.every((c) => c.packets === 0)) {
        setExitCode(EXIT_BAD_INPUT);
        return;
      }
      const flows = new Map(result.flows.map((f) => [f.id, f]));
      const html = renderReport(result.analysis, flows, { maxPacketsPerLeg, maxDiagrams, title: opts.title });
      if (opts.output) writeFileSync(opts.output, html);
      else await new Promise<void>((resolve, reject) => process.stdout.write(html, (err) => (err ? reject(err) : resolve())));
      // A damaged capture still gets its report (what was read counts), but never a clean exit.
      setExitCode(result.errors.length > 0 ? EXIT_BAD_INPUT : EXIT_OK);
    });
}
