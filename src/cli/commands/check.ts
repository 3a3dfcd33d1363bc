import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { analyzeCaptures } from '../../correlate/analyze.js';
import { parseIfaceNames, parseLinksDump } from '../../flows/interface-names.js';
import {
  ExpectationsError,
  evaluate,
  formatJunit,
  formatReportJson,
  formatReportText,
  generateExpectations,
  loadExpectationsFile,
} from '../../check/index.js';
import { sanitizeText } from '../../present/sanitize.js';
import { BufferedOutput } from '../buffered-output.js';
import { EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK } from '../exit-codes.js';
import { readPackageVersion } from '../version.js';
import type { SetExitCode } from './index.js';

interface CheckOptions {
  expect?: string;
  init?: boolean;
  output?: string;
  json?: boolean;
  junit?: string;
  rules?: string;
  conntrack?: string;
  ifaceNames?: string;
  links?: string;
}

function usage(message: string, setExitCode: SetExitCode): void {
  process.stderr.write(`natflow: ${sanitizeText(message)}\n`);
  setExitCode(EXIT_BAD_INPUT);
}

export function registerCheckCommand(program: Command, setExitCode: SetExitCode): void {
  program
    .command('check')
    .description('assert what the captures must show (expectations file); exit 0 when all hold, 1 when one fails, 2 on bad input')
    .argument('<captures...>', 'capture files or directories (pcap, pcapng, gzip; - for stdin); name=file names the interface')
    .option('--expect <file>', 'expectations file (YAML), see examples/expectations/')
    .option('--init', 'write an expectations file describing what the captures show, as a starting point')
    .option('-o, --output <file>', 'with --init: write the file here instead of stdout')
    .option('--json', 'print the results as JSON')
    .option('--junit <file>', 'also write the results as JUnit XML (one test case per expectation)')
    .option('--rules <file>', 'iptables-save / nft list ruleset output, to name the rule behind each rewrite')
    .option('--conntrack <file>', 'conntrack -L output, to confirm NAT mappings')
    .option('--iface-names <map>', 'name SLL2 (-i any) interface indexes: 1=lo,2=docker0')
    .option('--links <file>', 'name SLL2 interface indexes from `ip -o link` or `ip -j link` output')
    .action(async (captures: string[], opts: CheckOptions) => {
      if (opts.init && opts.expect) return usage('check: give either --expect FILE or --init, not both', setExitCode);
      if (!opts.init && !opts.expect) return usage('check: --expect FILE is required (or --init to write one)', setExitCode);
      if (opts.output && !opts.init) return usage('check: -o/--output only goes with --init (use --junit FILE for a report file)', setExitCode);

      // The expectations are validated before any capture is read: a typo should not cost a long read.
      let set = null;
      if (opts.expect) {
        try {
          set = loadExpectationsFile(opts.expect);
        } catch (err) {
          if (!(err instanceof ExpectationsError)) throw err;
          for (const l of err.lines()) process.stderr.write(`natflow: ${sanitizeText(l)}\n`);
          setExitCode(EXIT_BAD_INPUT);
          return;
        }
      }
      let names = new Map<number, string>();
      try {
        if (opts.links) names = parseLinksDump(readFileSync(opts.links, 'utf8'));
        if (opts.ifaceNames) for (const [k, v] of parseIfaceNames(opts.ifaceNames)) names.set(k, v);
      } catch (e) {
        return usage(e instanceof Error ? e.message : String(e), setExitCode);
      }

      const started = Date.now();
      const version = readPackageVersion();
      const result = await analyzeCaptures(captures, { rulesFile: opts.rules ?? null, conntrackFile: opts.conntrack ?? null, ifindexNames: names, version });
      for (const e of result.errors) process.stderr.write(`natflow: ${sanitizeText(e.message)}\n`);
      // A damaged capture makes any verdict doubtful: still report, but never exit 0 or 1.
      const badCapture = result.errors.length > 0;

      const out = new BufferedOutput();
      try {
        if (opts.init) {
          const text = generateExpectations(result.analysis, { captures, version });
          if (opts.output) writeFileSync(opts.output, text);
          else out.line(text.replace(/\n$/, ''));
          setExitCode(badCapture ? EXIT_BAD_INPUT : EXIT_OK);
          return;
        }
        if (!set) return;
        const retransmissions = new Map(result.flows.map((f) => [f.id, f.fwd.retransmissions + f.rev.retransmissions]));
        const report = evaluate(set, { analysis: result.analysis, retransmissions });
        if (opts.junit) {
          const xml = formatJunit(report, { durationSec: (Date.now() - started) / 1000, timestamp: new Date(started).toISOString() });
          writeFileSync(opts.junit, xml);
        }
        out.line((opts.json ? formatReportJson(report) : formatReportText(report)).replace(/\n$/, ''));
        setExitCode(badCapture ? EXIT_BAD_INPUT : report.passed ? EXIT_OK : EXIT_CHECK_FAILED);
      } finally {
        await out.flush();
        await out.close();
      }
    });
}
