import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { analyzeCaptures } from '../../correlate/analyze.js';
import { parseIfaceNames, parseLinksDump } from '../../flows/interface-names.js';
import { renderAnalysisText } from '../../present/analysis-text.js';
import { renderAnalysisMarkdown } from '../../present/analysis-markdown.js';
import { mermaidDiagramHook } from '../../present/mermaid.js';
import { sanitizeText } from '../../present/sanitize.js';
import { BufferedOutput } from '../buffered-output.js';
import { EXIT_BAD_INPUT, EXIT_OK } from '../exit-codes.js';
import { readPackageVersion } from '../version.js';
import type { SetExitCode } from './index.js';

interface AnalyzeCliOptions {
  json?: boolean;
  markdown?: boolean;
  rules?: string;
  conntrack?: string;
  ifaceNames?: string;
  links?: string;
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

function fail(message: string, setExitCode: SetExitCode): void {
  process.stderr.write(`natflow: ${sanitizeText(message)}\n`);
  setExitCode(EXIT_BAD_INPUT);
}

export function registerAnalyzeCommand(program: Command, setExitCode: SetExitCode): void {
  program
    .command('analyze')
    .description('pair the flows that are one conversation across NAT / the userland proxy, say which mechanism did it and why')
    .argument('[captures...]', 'capture files or directories (pcap, pcapng, gzip; - for stdin); name=file names the interface. Default: the bundled sample (curl localhost:5000 through docker-proxy)')
    .option('--json', 'one JSON document (captures, flows, correlations, unpaired, …)')
    .option('--markdown', 'a Markdown report to paste into an issue or a wiki')
    .option('--rules <file>', 'iptables-save, iptables -t nat -L -n -v or nft list ruleset output: name the rule behind each rewrite')
    .option('--conntrack <file>', 'conntrack -L [-o extended] output: corroborate pairs')
    .option('--iface-names <map>', 'name SLL2 (-i any) interface indexes: 1=lo,2=docker0')
    .option('--links <file>', 'name SLL2 interface indexes from `ip -o link` or `ip -j link` output')
    .action(async (captures: string[], opts: AnalyzeCliOptions) => {
      if (opts.json && opts.markdown) return fail('analyze: give either --json or --markdown, not both', setExitCode);
      let names = new Map<number, string>();
      try {
        if (opts.links) names = parseLinksDump(readFileSync(opts.links, 'utf8'));
        if (opts.ifaceNames) for (const [k, v] of parseIfaceNames(opts.ifaceNames)) names.set(k, v);
        for (const f of [opts.rules, opts.conntrack]) if (f !== undefined) readFileSync(f);
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e), setExitCode);
      }
      let inputs = captures;
      if (inputs.length === 0) {
        inputs = bundledSample();
        if (inputs.length === 0) return fail('analyze: no capture given and the bundled sample (captures/01-localhost-proxy) is not installed', setExitCode);
      }
      const result = await analyzeCaptures(inputs, {
        rulesFile: opts.rules ?? null,
        conntrackFile: opts.conntrack ?? null,
        ifindexNames: names,
        version: readPackageVersion(),
      });
      // What was read before a fault is still analyzed and printed; the exit code says it was cut short.
      for (const e of result.errors) process.stderr.write(`natflow: ${sanitizeText(e.message)}\n`);
      const out = new BufferedOutput();
      try {
        if (opts.json) out.line(JSON.stringify(result.analysis, null, 2));
        else if (opts.markdown) out.line(renderAnalysisMarkdown(result.analysis, result.flowsById, { renderCorrelationDiagram: mermaidDiagramHook(result.analysis) }).replace(/\n$/, ''));
        else {
          const tty = process.stdout.isTTY === true;
          const color = tty && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
          const width = tty ? Math.min(process.stdout.columns || 80, 120) : 80;
          out.line(renderAnalysisText(result.analysis, result.flowsById, { color, width }).replace(/\n$/, ''));
        }
      } finally {
        await out.flush();
        await out.close();
      }
      setExitCode(result.errors.length > 0 ? EXIT_BAD_INPUT : EXIT_OK);
    });
}
