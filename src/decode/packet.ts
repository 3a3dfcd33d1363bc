/**
 * The decoded view of one packet. One instance is reused for every packet (gopacket's
 * DecodingLayerParser idea): decodePacket() resets and fills it in place, so decoding
 * allocates nothing per packet except warnings. Byte fields are offsets into `data`; format
 * them with the helpers in ./address.ts only when you need a string.
 *
 * -1 means "absent" for numeric fields.
 */
export class Packet {
  data: Uint8Array = new Uint8Array(0);
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

  /** Decoding problems: a truncated or malformed layer. Empty when the packet is clean. */
  warnings: string[] = [];
}
