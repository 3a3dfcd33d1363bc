import type { Command } from 'commander';
import { registerPacketsCommand } from './packets.js';
import { registerFlowsCommand } from './flows.js';
import { registerTuiCommand } from './tui.js';
import { registerCheckCommand } from './check.js';
import { registerReportCommand } from './report.js';
import { registerAnalyzeCommand } from './analyze.js';

/** Sets the process exit code a command wants, without exiting (output must flush first). */
export type SetExitCode = (code: number) => void;

export function registerCommands(program: Command, setExitCode: SetExitCode): void {
  registerPacketsCommand(program, setExitCode);
  registerFlowsCommand(program, setExitCode);
  registerTuiCommand(program, setExitCode);
  registerCheckCommand(program, setExitCode);
  registerReportCommand(program, setExitCode);
  registerAnalyzeCommand(program, setExitCode);
}
