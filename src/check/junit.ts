/**
 * JUnit XML for CI test reporters (GitHub Actions reporters, GitLab `artifacts:reports:junit`,
 * Jenkins): one <testsuite>, one <testcase> per expectation or global assertion, a <failure>
 * with the message and the details of every failed assertion. A capture that could not be read
 * in full is a test case of its own with an <error>, and an expectation that could not be
 * evaluated has an <error>: a report step that runs whatever the exit code shows them red.
 */
import { basename } from 'node:path';
import type { CaseResult, CheckReport } from './evaluate.js';
import { formatInputErrorLine } from './format-report.js';
import type { InputError } from './input-errors.js';

export interface JunitOptions {
  /** Seconds the whole check took (read + analyse + evaluate). */
  durationSec?: number;
  /** ISO timestamp of the run. */
  timestamp?: string;
}

export function formatJunit(report: CheckReport, opts: JunitOptions = {}): string {
  const suite = `natflow check ${basename(report.file)}`;
  const time = (opts.durationSec ?? 0).toFixed(3);
  const inputErrors = report.inputErrors ?? [];
  const tests = report.total + inputErrors.length;
  const errors = inputErrors.length + (report.notEvaluated ?? 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="natflow check" tests="${tests}" failures="${report.failures}" errors="${errors}" time="${time}">`);
  const ts = opts.timestamp ? ` timestamp="${attr(opts.timestamp)}"` : '';
  out.push(
    `  <testsuite name="${attr(suite)}" tests="${tests}" failures="${report.failures}" errors="${errors}" skipped="0" time="${time}"${ts} file="${attr(report.file)}">`,
  );
  for (const e of inputErrors) out.push(...inputTestcase(e));
  for (const r of report.results) out.push(...testcase(r, report.file));
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}

/** A capture read in part or not at all: its own test case, named after the file. */
function inputTestcase(e: InputError): string[] {
  const message = formatInputErrorLine(e).replace(/^ERROR \[input\] /, '');
  return [
    `    <testcase name="${attr(`[input] ${e.file}`)}" classname="natflow.check.input" file="${attr(e.file)}" time="0">`,
    `      <error message="${attr(message)}" type="input">${text(message)}</error>`,
    '    </testcase>',
  ];
}

function testcase(r: CaseResult, file: string): string[] {
  const name = `[${r.id}] ${r.title}`;
  const open = `    <testcase name="${attr(name)}" classname="natflow.check.${r.kind === 'global' ? 'global' : 'expectations'}" file="${attr(file)}" line="${r.line}" time="0"`;
  if (r.error !== undefined) return [`${open}>`, `      <error message="${attr(r.error)}" type="not-evaluated"/>`, '    </testcase>'];
  if (r.passed) {
    const detail = r.assertions.map((a) => `${a.assertion}: ${a.found}`).join('\n');
    return [`${open}>`, `      <system-out>${text(`${detail}\nflows: ${r.flows.join(' ')}`)}</system-out>`, '    </testcase>'];
  }
  const failed = r.assertions.filter((a) => !a.passed);
  const message = failed.map((a) => `${a.assertion}: expected ${a.expected}, found ${a.found}`).join('; ');
  const details = failed
    .map((a) => `${a.assertion}\n  expected: ${a.expected}\n  found:    ${a.found}\n  flows:    ${a.flows.join(' ') || '-'}`)
    .join('\n');
  return [
    `${open}>`,
    `      <failure message="${attr(message)}" type="${attr(failed[0]?.assertion ?? 'expectation')}">${text(`${details}\nselected: ${r.matched.join(' ') || 'nothing'}`)}</failure>`,
    '    </testcase>',
  ];
}

/**
 * XML 1.0 cannot carry most control characters even as references, and captured text (HTTP
 * paths, DNS names, interface names) can hold anything: show them as \xNN instead.
 */
function clean(s: string): string {
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

function text(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  // Newlines and tabs in attributes would be normalised to spaces by parsers: keep them as references.
  return text(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
