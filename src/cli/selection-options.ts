/**
 * `--match ENDPOINT` / `--mechanism LIST`, shared by `analyze` and `report`: the conversations a
 * user asked about (../present/select-conversations.ts).
 */
import type { Command } from 'commander';
import type { Flow } from '../flows/flow.js';
import type { Analysis } from '../correlate/model.js';
import { isEmptySelection, parseSelection, selectConversations, type ConversationSelection } from '../present/select-conversations.js';
import type { SetExitCode } from './exit-codes.js';
import { reportBadInput } from './report-error.js';

export interface SelectionCliOptions {
  match?: string[];
  mechanism?: string;
}

/** Commander's collector for a repeatable option. No default list: the help would print "(default: [])". */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addSelectionOptions(cmd: Command): Command {
  return cmd
    .option('--match <endpoint>', 'only conversations with a leg from or to this endpoint: 172.17.0.2:5000, :5000, 10.0.0.0/8, [::1]:8080, 8000-8100; or with a leg of this Community ID (1:…), or of this pair id (nf1:…) (repeat: all must match)', collect)
    .option('--mechanism <list>', 'only these mechanisms, comma-separated: userland-proxy, dnat, snat, dnat+snat, bridge, none (unpaired flows)');
}

/** The selection, or null after reporting a bad selector (exit code 2). Run it before reading captures. */
export function resolveSelection(command: string, opts: SelectionCliOptions, setExitCode: SetExitCode): ConversationSelection | null {
  const selection = parseSelection(opts.match ?? [], opts.mechanism);
  if (typeof selection === 'string') {
    reportBadInput(`${command}: ${selection}`, setExitCode);
    return null;
  }
  return selection;
}

/** The analysis as the presenters should print it: whole, or only what was selected. */
export function applySelection(analysis: Analysis, flowsById: ReadonlyMap<string, Flow>, selection: ConversationSelection): Analysis {
  return isEmptySelection(selection) ? analysis : selectConversations(analysis, flowsById, selection);
}
