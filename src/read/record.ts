import type { CaptureInterface, CaptureRecord } from './types.js';

const EMPTY = new Uint8Array(0);
const NO_IFACE: CaptureInterface = { index: -1, section: -1, name: null, description: null, linktype: -1, snaplen: 0 };

/**
 * The one record object a reader hands to every onRecord call. Its fields are overwritten for
 * the next record, and `data` is a view into the reader's chunk buffer that is valid only until
 * the callback returns. The view is created on first access so that consumers that never look
 * at the bytes (counting, benchmarks) pay nothing for it; consumers that want zero allocation
 * can use `buffer` + `dataOffset` + `caplen` directly.
 */
export class ReusedRecord implements CaptureRecord {
  offset = 0;
  tsSec = 0;
  tsNsec = 0;
  caplen = 0;
  len = 0;
  linktype = -1;
  iface: CaptureInterface = NO_IFACE;
  /** The reader's chunk buffer; the record's bytes are buffer[dataOffset, dataOffset + caplen). */
  buffer: Uint8Array = EMPTY;
  dataOffset = 0;
  private view: Uint8Array | null = null;

  get data(): Uint8Array {
    if (this.view === null) this.view = this.buffer.subarray(this.dataOffset, this.dataOffset + this.caplen);
    return this.view;
  }

  /** Points the record at new bytes; the rest of the fields are set by the caller. */
  setBytes(buffer: Uint8Array, dataOffset: number, caplen: number): void {
    this.buffer = buffer;
    this.dataOffset = dataOffset;
    this.caplen = caplen;
    this.view = null;
  }

  /** A stand-alone copy whose bytes outlive the reader's buffer. */
  snapshot(): CaptureRecord {
    return {
      offset: this.offset,
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      caplen: this.caplen,
      len: this.len,
      linktype: this.linktype,
      iface: this.iface,
      data: this.buffer.slice(this.dataOffset, this.dataOffset + this.caplen),
    };
  }
}
