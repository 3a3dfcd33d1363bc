/** `natflow check`: expectations about captured traffic, for CI pipelines. */
export { ExpectationsError, loadExpectationsFile, parseExpectations, type Problem } from './load-expectations.js';
export { evaluate, type CaseResult, type CheckInputs, type CheckReport, type AssertionResult } from './evaluate.js';
export { formatReportJson, formatReportText } from './format-report.js';
export { formatJunit } from './junit.js';
export { inputErrorsOf, type InputError } from './input-errors.js';
export { generateExpectations } from './init-expectations.js';
export type { ExpectationSet } from './schema.js';
