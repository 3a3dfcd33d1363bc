export { captureContext, droppedRequestText, explainCorrelation, explainUnpairedFlow, type ExplainContext } from './explain-correlation.js';
export { summarizeAnalysis } from './summarize-analysis.js';
