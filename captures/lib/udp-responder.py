#!/usr/bin/env python3
"""A tiny DNS-like UDP responder: answers every query with one A record (192.0.2.1) and
echoes the question, so the query name (the marker) is in both directions."""
import socket
import struct
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 53
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', port))
print('listening udp %d' % port, flush=True)
while True:
    data, peer = s.recvfrom(2048)
    if len(data) < 12:
        continue
    qid = struct.unpack('!H', data[:2])[0]
    end = 12
    while end < len(data) and data[end] != 0:
        end += data[end] + 1
    question = data[12:end + 5]
    resp = struct.pack('!HHHHHH', qid, 0x8180, 1, 1, 0, 0) + question
    resp += struct.pack('!HHHLH', 0xC00C, 1, 1, 60, 4) + socket.inet_aton('192.0.2.1')
    s.sendto(resp, peer)
    print('query from %s:%d' % peer, flush=True)
