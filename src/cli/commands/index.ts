import type { Command } from 'commander';
import { registerPacketsCommand } from './packets.js';
import { registerFlowsCommand } from './flows.js';
import { registerTuiCommand } from './tui.js';
import { registerCheckCommand } from './check.js';
import { registerReportCommand } from './report.js';
import { registerAnalyzeCommand } from './analyze.js';
import type { SetExitCode } from '../exit-codes.js';

export type { SetExitCode };

export function registerCommands(program: Command, setExitCode: SetExitCode): void {
  registerPacketsCommand(program, setExitCode);
  registerFlowsCommand(program, setExitCode);
  registerTuiCommand(program, setExitCode);
  registerCheckCommand(program, setExitCode);
  registerReportCommand(program, setExitCode);
  registerAnalyzeCommand(program, setExitCode);
}
