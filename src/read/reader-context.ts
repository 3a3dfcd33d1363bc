import type { ByteSource } from './byte-source.js';
import { CaptureError } from './capture-error.js';
import type { ReusedRecord } from './record.js';
import type { CaptureFileInfo, CaptureInterface, CaptureRecord } from './types.js';
import type { WarningLog } from './warnings.js';

export type RecordCallback = (rec: CaptureRecord, info: CaptureFileInfo) => void;

/** State shared by the format readers and readCapture(). */
export interface ReaderContext {
  src: ByteSource;
  label: string;
  warnings: WarningLog;
  rec: ReusedRecord;
  info: CaptureFileInfo;
  onInterface: ((iface: CaptureInterface) => void) | undefined;
  /** Records delivered so far (kept up to date even when a reader throws). */
  records: number;
}

/**
 * A format reader: delivers up to `budget` records, adding them to ctx.records; resolves true
 * at the clean end of input, throws CaptureError at a fault.
 */
export interface FormatReader {
  run(onRecord: RecordCallback, budget: number): Promise<boolean>;
}

/** libpcap's max_snaplen_for_dlt() for ordinary link types; larger caplens are refused. */
export const MAX_CAPLEN = 262144;

export function fail(ctx: ReaderContext, offset: number, reason: string): never {
  throw new CaptureError(ctx.label, offset, reason);
}

export function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

export function u32be(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

export function u32(b: Uint8Array, p: number, le: boolean): number {
  return le ? u32le(b, p) : u32be(b, p);
}

export function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}
