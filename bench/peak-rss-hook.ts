/**
 * Preloaded (`node --import`) into a natflow process the CLI benchmark starts: prints the
 * process's peak RSS to stderr as it exits, for the benchmark to read.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `natflow-peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
