import type { Command } from 'commander';
import { readCapture, formatEpoch } from '../../read/index.js';
import type { CaptureRecord } from '../../read/types.js';
import { Packet, decodeRecord } from '../../decode/index.js';
import { formatPacketLine } from '../../present/packet-line.js';
import { formatPacketJson } from '../../present/packet-json.js';
import { withOutput } from '../buffered-output.js';
import type { SetExitCode } from '../exit-codes.js';
import { reportCaptureErrors } from '../report-error.js';
import { nameFromPath, splitNamedCapture } from '../../flows/interface-names.js';

/** Thrown from the record callback to stop reading once nobody reads our output any more. */
class OutputClosed extends Error {}

export function registerPacketsCommand(program: Command, setExitCode: SetExitCode): void {
  program
    .command('packets')
    .description('print every packet decoded, one line each (like tcpdump -nn), or JSON Lines with --json')
    .argument('<files...>', 'capture files (pcap, pcapng, gzip of either; - for stdin); name=file names the interface')
    .option('--json', 'one JSON object per packet (JSON Lines)')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const pkt = new Packet();
      await withOutput(async (out) => {
        for (const arg of files) {
          const { path, name } = splitNamedCapture(arg);
          const fallbackName = name ?? nameFromPath(path);
          let n = 0;
          const onRecord = (rec: CaptureRecord): void => {
            if (out.closed) throw new OutputClosed();
            n++;
            decodeRecord(pkt, rec);
            const iface = name ?? rec.iface.name ?? (pkt.sllIfIndex >= 0 ? `if${pkt.sllIfIndex}` : fallbackName);
            const ts = formatEpoch(rec.tsSec, rec.tsNsec);
            out.line(opts.json ? formatPacketJson(pkt, { n, file: path, iface, ts }) : formatPacketLine(pkt, { ts, iface }));
          };
          let result;
          try {
            result = await readCapture(path, onRecord, { label: path });
          } catch (err) {
            if (err instanceof OutputClosed) return;
            throw err;
          }
          if (result.error) {
            // Packets before the fault go out first, then the one-line error.
            await out.flush();
            reportCaptureErrors([result.error], setExitCode);
          }
        }
      });
    });
}
