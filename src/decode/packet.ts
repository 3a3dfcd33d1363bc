/**
 * The decoded view of one packet. One instance is reused for every packet (gopacket's
 * DecodingLayerParser idea): decodePacket() resets and fills it in place, so decoding
 * allocates nothing per packet except warnings. Byte fields are absolute offsets into `data`,
 * which may be a whole reader buffer holding other frames too: the frame is data[start, end), so
 * never assume it starts at 0 or ends at data.length. Format addresses with the helpers in
 * ./address.ts only when you need a string.
 *
 * -1 means "absent" for numeric fields.
 */
export class Packet {
  data: Uint8Array = new Uint8Array(0);
  /** The frame's first byte in `data`, and one past its last captured byte (start + caplen). */
  start = 0;
  end = 0;
  linktype = -1;
  caplen = 0;
  len = 0;

  // Link layer
  /** Offset of the 6-byte Ethernet source / destination MAC, -1 without Ethernet. */
  ethSrcOff = -1;
  ethDstOff = -1;
  /** Outer-first VLAN ids (802.1Q / 802.1ad); vlanCount entries are valid. */
  vlanIds: number[] = [0, 0, 0, 0];
  vlanCount = 0;
  /** EtherType (or SLL protocol, or AF mapped to an EtherType for NULL/LOOP). */
  etherType = -1;
  /** LINUX_SLL2 interface index; -1 otherwise. */
  sllIfIndex = -1;
  /** LINUX_SLL / SLL2 packet type: 0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing. */
  sllPktType = -1;
  /** Offset / length of the SLL link-layer (source) address. */
  sllAddrOff = -1;
  sllAddrLen = 0;

  // Network layer
  ipVersion: 0 | 4 | 6 = 0;
  l3Offset = -1;
  /** Offset of the source / destination address (4 bytes for IPv4, 16 for IPv6). */
  srcOff = -1;
  dstOff = -1;
  /** IPv4 identification; IPv6 fragment identification when a fragment header is present. */
  ipId = -1;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = -1;
  /** IPv4 DSCP/ECN byte or IPv6 traffic class. */
  tos = -1;
  /** Upper-layer protocol after all IPv6 extension headers. */
  ipProto = -1;
  /** IPv4 total length or IPv6 40 + payload length, as claimed by the header. */
  ipTotalLen = -1;
  ipDontFragment = false;
  ipMoreFragments = false;
  /** Fragment offset in bytes. */
  ipFragOffset = 0;
  /** True for any fragment (MF set or offset > 0); non-first fragments have no transport layer. */
  ipFragment = false;

  // ARP
  arpOp = -1;
  arpSenderMacOff = -1;
  arpSenderIpOff = -1;
  arpTargetMacOff = -1;
  arpTargetIpOff = -1;

  // Transport
  l4Offset = -1;
  sport = -1;
  dport = -1;

  // TCP
  seq = -1;
  ack = -1;
  /** FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128 NS(AE)=256 */
  tcpFlags = -1;
  window = -1;
  tcpHeaderLen = -1;
  mss = -1;
  wscale = -1;
  sackPermitted = false;
  /** SACK blocks as [left, right) pairs; sackCount pairs valid. */
  sackBlocks: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  sackCount = 0;
  tsVal = -1;
  tsEcr = -1;

  // ICMP / ICMPv6
  icmpType = -1;
  icmpCode = -1;
  /** Echo identifier / sequence; -1 for other messages. */
  icmpId = -1;
  icmpSeq = -1;
  /**
   * ICMP errors: the embedded (quoted) packet's header, decoded as far as it goes. NAT rewrites
   * it too, so the correlator and flow table use it to link the error to its flow.
   */
  innerIpVersion: 0 | 4 | 6 = 0;
  innerSrcOff = -1;
  innerDstOff = -1;
  innerProto = -1;
  innerSport = -1;
  innerDport = -1;

  // Payload of the transport layer (TCP/UDP), or of ICMP after its 8-byte header
  payloadOffset = -1;
  /** Payload bytes present in the capture (may be less than claimed when cut by snaplen). */
  payloadLen = 0;
  /** Payload length claimed by the headers (IP length minus headers); -1 when unknown. */
  payloadWireLen = -1;

  /**
   * IPv4 total length was 0 (TSO/GSO: the NIC fills it in later), so the captured length was used
   * instead; like tshark this is a note, not a warning.
   */
  ipTotalLenFromCapture = false;

  /** Decoding problems: a truncated or malformed layer. Empty when the packet is clean. */
  warnings: string[] = [];

  /**
   * Clears every field for the next packet; allocates nothing unless the last packet had warnings.
   * Groups that only one decoder fills are cleared only when their first field was set: each
   * decoder sets that field before the rest of its group (sllPktType, arpOp, tcpHeaderLen before
   * the TCP options, icmpType before the rest of ICMP and the quoted packet), so an untouched group
   * still holds its absent values.
   */
  reset(): void {
    this.start = 0;
    this.end = 0;
    this.linktype = -1;
    this.caplen = 0;
    this.len = 0;
    this.ethSrcOff = -1;
    this.ethDstOff = -1;
    this.vlanCount = 0;
    this.etherType = -1;
    if (this.sllPktType !== -1 || this.sllIfIndex !== -1) {
      this.sllIfIndex = -1;
      this.sllPktType = -1;
      this.sllAddrOff = -1;
      this.sllAddrLen = 0;
    }
    this.ipVersion = 0;
    this.l3Offset = -1;
    this.srcOff = -1;
    this.dstOff = -1;
    this.ipId = -1;
    this.ttl = -1;
    this.tos = -1;
    this.ipProto = -1;
    this.ipTotalLen = -1;
    this.ipDontFragment = false;
    this.ipMoreFragments = false;
    this.ipFragOffset = 0;
    this.ipFragment = false;
    this.ipTotalLenFromCapture = false;
    if (this.arpOp !== -1) {
      this.arpOp = -1;
      this.arpSenderMacOff = -1;
      this.arpSenderIpOff = -1;
      this.arpTargetMacOff = -1;
      this.arpTargetIpOff = -1;
    }
    this.l4Offset = -1;
    this.sport = -1;
    this.dport = -1;
    this.seq = -1;
    this.ack = -1;
    this.tcpFlags = -1;
    this.window = -1;
    if (this.tcpHeaderLen !== -1) {
      this.tcpHeaderLen = -1;
      this.mss = -1;
      this.wscale = -1;
      this.sackPermitted = false;
      this.sackCount = 0;
      this.tsVal = -1;
      this.tsEcr = -1;
    }
    if (this.icmpType !== -1) {
      this.icmpType = -1;
      this.icmpCode = -1;
      this.icmpId = -1;
      this.icmpSeq = -1;
      this.innerIpVersion = 0;
      this.innerSrcOff = -1;
      this.innerDstOff = -1;
      this.innerProto = -1;
      this.innerSport = -1;
      this.innerDport = -1;
    }
    this.payloadOffset = -1;
    this.payloadLen = 0;
    this.payloadWireLen = -1;
    // A fresh array rather than length = 0: a caller may have kept the previous packet's warnings.
    if (this.warnings.length !== 0) this.warnings = [];
  }

  warn(message: string): void {
    this.warnings.push(message);
  }
}
