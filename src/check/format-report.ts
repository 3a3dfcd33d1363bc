/**
 * `natflow check` output: one line per expectation (and per global assertion), then a summary.
 * Every string that may come from a capture or the expectations file is stripped of control and
 * escape characters before it reaches the terminal.
 */
import { sanitizeText } from '../present/sanitize.js';
import type { CaseResult, CheckReport } from './evaluate.js';
import type { InputError } from './input-errors.js';

/** Flow ids printed on one line before the rest are only counted; --json has them all. */
const FLOW_LIMIT = 8;

export function formatCaseLine(r: CaseResult): string {
  const label = `[${r.id}] ${r.title}`;
  if (r.error !== undefined) return sanitizeText(`ERROR ${label}: ${r.error}`);
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

/**
 * A capture read only in part, or not at all, as a line of the report: a CI log shows stdout,
 * and the stderr line alone was easy to miss above a column of PASS.
 */
export function formatInputErrorLine(e: InputError): string {
  const scope =
    e.offset === null ? '' : e.packets > 0 ? `; the results cover only the ${e.packets} packet${e.packets === 1 ? '' : 's'} read from it before that byte` : '; nothing was read from it';
  return sanitizeText(`ERROR [input] ${e.file}: ${e.message}${scope}`);
}

export function formatReportText(report: CheckReport): string {
  const inputErrors = report.inputErrors ?? [];
  const lines = [...inputErrors.map(formatInputErrorLine), ...report.results.map(formatCaseLine)];
  lines.push(`natflow check: ${summary(report)} (${sanitizeText(report.file)})`);
  return `${lines.join('\n')}\n`;
}

function summary(report: CheckReport): string {
  const skipped = report.notEvaluated ?? 0;
  const held = report.total - report.failures - skipped;
  const inputErrors = report.inputErrors?.length ?? 0;
  if (inputErrors === 0 && skipped === 0) {
    return report.passed ? `all ${report.total} expectations hold` : `${report.failures} of ${report.total} expectations failed, ${held} held`;
  }
  // Worded so that nothing a pipeline may grep for a pass ("all N expectations hold") appears.
  const lead = `not passed, ${inputErrors > 0 ? `${inputErrors} input error${inputErrors === 1 ? '' : 's'}` : 'bad input'}`;
  if (skipped === report.total) return `${lead}: no packets were read, none of the ${report.total} expectations was evaluated`;
  const unevaluated = skipped > 0 ? `, ${skipped} not evaluated` : '';
  return `${lead}: on what was read, ${held} of ${report.total} expectations held, ${report.failures} failed${unevaluated}`;
}

export function formatReportJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function uniq(ids: string[]): string[] {
  return [...new Set(ids)];
}
