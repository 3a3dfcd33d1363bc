/** One capture interface: a pcapng IDB, or the single implicit interface of a classic pcap. */
export interface CaptureInterface {
  /** Index unique within the file (pcapng: counted across all sections, in IDB order). */
  index: number;
  /** pcapng section number (0-based); 0 for classic pcap. */
  section: number;
  /** pcapng if_name, or null when the file does not name it. */
  name: string | null;
  description: string | null;
  linktype: number;
  snaplen: number;
  /** Bytes of frame check sequence at the end of every frame, when the file says so (pcap LT_FCS_*). */
  fcsLength?: number;
  /** pcapng if_tsresol as written (bit 7 set = 2^-n, else 10^-n); absent = default 6. */
  tsresol?: number;
  /** pcapng if_tsoffset in seconds, already added to every record's tsSec. */
  tsoffset?: number;
}

/** Container format facts about one file, known after its header has been read. */
export interface CaptureFileInfo {
  /** Path as given by the user ('-' for standard input). */
  file: string;
  format: 'pcap' | 'pcapng';
  compressed: boolean;
  byteOrder: 'le' | 'be';
  /** Classic pcap only: 'us' or 'ns' magic, and version. */
  tsPrecision: 'us' | 'ns' | null;
  version: string;
  interfaces: CaptureInterface[];
}

/**
 * One packet record. `data` is a view into the reader's buffer and is only valid until the
 * callback returns: copy it (`data.slice()`) to keep it.
 */
export interface CaptureRecord {
  /** Byte offset of the record's header in the (decompressed) stream. */
  offset: number;
  /** Seconds since the epoch; may exceed 2^32 (pcapng 64-bit timestamps). */
  tsSec: number;
  /** Nanoseconds within the second, 0..999_999_999. */
  tsNsec: number;
  caplen: number;
  /** Original length on the wire. */
  len: number;
  linktype: number;
  iface: CaptureInterface;
  data: Uint8Array;
}
