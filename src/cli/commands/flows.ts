import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadCaptures } from '../../flows/load-captures.js';
import { parseIfaceNames, parseLinksDump } from '../../flows/interface-names.js';
import { flowToJson, formatFlowText, formatZeekRow, textHeader, zeekFooter, zeekHeader } from '../../flows/flow-output.js';
import { sanitizeText } from '../../present/sanitize.js';
import { BufferedOutput } from '../buffered-output.js';
import { EXIT_BAD_INPUT } from '../exit-codes.js';
import type { SetExitCode } from './index.js';

interface FlowsOptions {
  json?: boolean;
  format?: string;
  communityIdSeed?: string;
  ifaceNames?: string;
  links?: string;
  udpTimeout?: string;
}

function usage(message: string, setExitCode: SetExitCode): void {
  process.stderr.write(`natflow: ${sanitizeText(message)}\n`);
  setExitCode(EXIT_BAD_INPUT);
}

export function registerFlowsCommand(program: Command, setExitCode: SetExitCode): void {
  program
    .command('flows')
    .description('list the flows of each interface (conn.log-like): state, ISNs, counts, Community ID, app peek')
    .argument('<captures...>', 'capture files or directories (pcap, pcapng, gzip; - for stdin); name=file names the interface')
    .option('--json', 'JSON Lines, one object per flow')
    .option('--format <fmt>', 'text, json or zeek (Zeek conn.log TSV with community_id)', 'text')
    .option('--community-id-seed <n>', 'Community ID seed (0-65535)', '0')
    .option('--iface-names <map>', 'name SLL2 (-i any) interface indexes: 1=lo,2=docker0')
    .option('--links <file>', 'name SLL2 interface indexes from `ip -o link` or `ip -j link` output')
    .option('--udp-timeout <seconds>', 'idle timeout of UDP/ICMP flows', '60')
    .action(async (captures: string[], opts: FlowsOptions) => {
      const format = opts.json ? 'json' : (opts.format ?? 'text');
      if (!['text', 'json', 'zeek'].includes(format)) return usage(`--format: expected text, json or zeek, got '${format}'`, setExitCode);
      const seed = Number(opts.communityIdSeed ?? '0');
      if (!Number.isInteger(seed) || seed < 0 || seed > 65535) return usage('--community-id-seed: expected an integer 0-65535', setExitCode);
      const udpTimeout = Number(opts.udpTimeout ?? '60');
      if (!(udpTimeout > 0)) return usage('--udp-timeout: expected a positive number of seconds', setExitCode);
      let names = new Map<number, string>();
      try {
        if (opts.links) names = parseLinksDump(readFileSync(opts.links, 'utf8'));
        if (opts.ifaceNames) for (const [k, v] of parseIfaceNames(opts.ifaceNames)) names.set(k, v);
      } catch (e) {
        return usage(e instanceof Error ? e.message : String(e), setExitCode);
      }

      const result = await loadCaptures(captures, {
        ifindexNames: names,
        flowOptions: { communityIdSeed: seed, udpTimeoutUs: udpTimeout * 1e6 },
      });
      const out = new BufferedOutput();
      try {
        if (format === 'text') out.line(textHeader());
        if (format === 'zeek') out.line(zeekHeader());
        for (const f of result.flows) {
          if (out.closed) break;
          if (format === 'json') out.line(JSON.stringify(flowToJson(f)));
          else if (format === 'zeek') out.line(formatZeekRow(f));
          else out.line(formatFlowText(f));
        }
        if (format === 'zeek') out.line(zeekFooter());
        await out.flush();
      } finally {
        await out.close();
      }
      for (const e of result.errors) process.stderr.write(`natflow: ${sanitizeText(e.message)}\n`);
      if (result.errors.length > 0) setExitCode(EXIT_BAD_INPUT);
    });
}
