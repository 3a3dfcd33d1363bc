/** The HTML report (`natflow report`): see ./render-report.ts. */
export { renderReport, reportParts, DEFAULT_MAX_DIAGRAMS, type ReportOptions } from './render-report.js';
export { renderLadderSvg } from './svg-ladder.js';
export { escapeHtml, escapeCut } from './html-escape.js';
