import type { Command } from 'commander';
import { loadCaptures } from '../../flows/load-captures.js';
import { reportStopped } from '../stop-on-interrupt.js';
import { whileReading } from '../reading-feedback.js';
import { flowToJson, formatFlowText, formatZeekRow, textHeader, zeekFooter, zeekHeader } from '../../flows/flow-output.js';
import { withOutput } from '../buffered-output.js';
import { CAPTURES_ARGUMENT_HELP, addCaptureOptions, resolveCaptureOptions, type CaptureCliOptions } from '../capture-options.js';
import type { SetExitCode } from '../exit-codes.js';
import { reportBadInput, reportCaptureErrors } from '../report-error.js';
import { flowMatches, isIdPattern, parseMatchPattern, type MatchPattern } from '../../present/select-conversations.js';
import { collect } from '../selection-options.js';

interface FlowsOptions extends CaptureCliOptions {
  json?: boolean;
  format?: string;
  communityIdSeed?: string;
  udpTimeout?: string;
  match?: string[];
}


export function registerFlowsCommand(program: Command, setExitCode: SetExitCode): void {
  const cmd = program
    .command('flows')
    .description('list the flows of each interface (conn.log-like): state, ISNs, counts, Community ID, app peek')
    .argument('<captures...>', CAPTURES_ARGUMENT_HELP)
    .option('--json', 'JSON Lines, one object per flow')
    .option('--format <fmt>', 'text, json or zeek (Zeek conn.log TSV with community_id)', 'text')
    .option('--community-id-seed <n>', 'Community ID seed (0-65535)', '0');
  addCaptureOptions(cmd, { sideFiles: false })
    .option('--udp-timeout <seconds>', 'idle timeout of UDP/ICMP flows', '60')
    .option('--match <endpoint>', 'only flows from or to this endpoint: 172.17.0.2:5000, :5000, 10.0.0.0/8, [::1]:8080, 8000-8100; or of this Community ID (1:…) (repeat: all must match)', collect)
    .action(async (captures: string[], opts: FlowsOptions) => {
      const format = opts.json ? 'json' : (opts.format ?? 'text');
      if (!['text', 'json', 'zeek'].includes(format)) return reportBadInput(`--format: expected text, json or zeek, got '${format}'`, setExitCode);
      const seed = Number(opts.communityIdSeed ?? '0');
      if (!Number.isInteger(seed) || seed < 0 || seed > 65535) return reportBadInput('--community-id-seed: expected an integer 0-65535', setExitCode);
      const udpTimeout = Number(opts.udpTimeout ?? '60');
      if (!(udpTimeout > 0)) return reportBadInput('--udp-timeout: expected a positive number of seconds', setExitCode);
      const patterns: MatchPattern[] = [];
      for (const m of opts.match ?? []) {
        const p = parseMatchPattern(m);
        if (typeof p === 'string') return reportBadInput(`flows: --match: ${p}`, setExitCode);
        // A pair id names a conversation across flows; `analyze --match` takes it.
        if (isIdPattern(p) && p.kind === 'pair-id') return reportBadInput(`flows: --match: ${p.text} is a pair id (a conversation's): give it to analyze --match, or a flow's Community ID here`, setExitCode);
        patterns.push(p);
      }
      const inputs = resolveCaptureOptions(opts, setExitCode, captures);
      if (!inputs) return;

      const result = await whileReading(true, (hooks) =>
        loadCaptures(captures, {
          ifindexNames: inputs.ifindexNames,
          flowOptions: { communityIdSeed: seed, udpTimeoutUs: udpTimeout * 1e6 },
          ...hooks,
        }),
      );
      await withOutput((out) => {
        if (format === 'text') out.line(textHeader());
        if (format === 'zeek') out.line(zeekHeader());
        for (const f of result.flows) {
          if (out.closed) break;
          if (!patterns.every((p) => flowMatches(f, p))) continue;
          if (format === 'json') out.line(JSON.stringify(flowToJson(f)));
          else if (format === 'zeek') out.line(formatZeekRow(f));
          else out.line(formatFlowText(f));
        }
        if (format === 'zeek') out.line(zeekFooter());
      });
      // After the flows: what was read before a fault is listed, then the fault.
      reportCaptureErrors(result.errors, setExitCode);
      reportStopped(result.stopped, setExitCode);
    });
}
