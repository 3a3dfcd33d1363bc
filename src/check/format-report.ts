/**
 * `natflow check` output: one line per expectation (and per global assertion), then a summary.
 * Every string that may come from a capture or the expectations file is stripped of control and
 * escape characters before it reaches the terminal.
 */
import { sanitizeText } from '../present/sanitize.js';
import type { CaseResult, CheckReport } from './evaluate.js';

/** Flow ids printed on one line before the rest are only counted; --json has them all. */
const FLOW_LIMIT = 8;

export function formatCaseLine(r: CaseResult): string {
  const label = `[${r.id}] ${r.title}`;
  let body: string;
  if (r.passed) {
    body = r.assertions.map((a) => (a.assertion === 'count' ? `${a.found} matched` : `${a.assertion} ${a.found}`)).join('; ');
  } else {
    body = r.assertions
      .filter((a) => !a.passed)
      .map((a) => `${a.assertion}: expected ${a.expected}, found ${a.found}`)
      .join('; ');
  }
  const flows = r.passed ? r.flows : uniq(r.assertions.flatMap((a) => a.flows));
  const flowText = flows.length === 0 ? '' : ` {flows ${flows.slice(0, FLOW_LIMIT).join(' ')}${flows.length > FLOW_LIMIT ? ` +${flows.length - FLOW_LIMIT} more` : ''}}`;
  return sanitizeText(`${r.passed ? 'PASS' : 'FAIL'}  ${label}: ${body}${flowText}`);
}

export function formatReportText(report: CheckReport): string {
  const lines = report.results.map(formatCaseLine);
  const held = report.total - report.failures;
  lines.push(
    report.passed
      ? `natflow check: all ${report.total} expectations hold (${sanitizeText(report.file)})`
      : `natflow check: ${report.failures} of ${report.total} expectations failed, ${held} held (${sanitizeText(report.file)})`,
  );
  return `${lines.join('\n')}\n`;
}

export function formatReportJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function uniq(ids: string[]): string[] {
  return [...new Set(ids)];
}
