#!/usr/bin/env python3
"""Traffic generator for the natflow lab: every request carries a unique marker
(HTTP query string, DNS query name, ICMP payload) so the ground truth can link what the
kernel and the proxy did back to the request that caused it."""
import argparse
import http.client
import os
import socket
import struct
import sys
import threading
import time


def http_get(host, port, marker, bind_port=0, timeout=10.0, path='/hello.txt'):
    src = ('', bind_port) if bind_port else None
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=src)
    try:
        conn.request('GET', path + '?m=' + marker, headers={'User-Agent': 'natflow-lab'})
        resp = conn.getresponse()
        body = resp.read()
        return 'http %s:%d %s -> %d (%d bytes)' % (host, port, marker, resp.status, len(body))
    except Exception as e:  # the closed-port scenario expects resets
        return 'http %s:%d %s -> error %s: %s' % (host, port, marker, type(e).__name__, e)
    finally:
        conn.close()


def dns_query(host, port, marker, bind_port=0, timeout=3.0, connect=False):
    qname = marker + '.lab.test'
    qid = sum(marker.encode()) & 0xFFFF
    q = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in qname.split('.'):
        q += bytes([len(label)]) + label.encode()
    q += b'\x00' + struct.pack('!HH', 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.bind(('', bind_port))
        if connect:
            # Only a connected UDP socket is told of ICMP errors (recv fails with ECONNREFUSED).
            s.connect((host, port))
            s.send(q)
        else:
            s.sendto(q, (host, port))
        data, peer = s.recvfrom(2048)
        return 'udp %s:%d %s -> %d bytes from %s:%d' % (host, port, marker, len(data), *peer)
    except Exception as e:
        return 'udp %s:%d %s -> error %s' % (host, port, marker, e)
    finally:
        s.close()


def checksum(b):
    if len(b) % 2:
        b += b'\x00'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def icmp_echo(host, marker, ident, count=1, timeout=3.0):
    # A raw socket (not a ping socket) so the echo id is ours: the collision scenario needs
    # two containers to use the same id.
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(timeout)
    out = []
    try:
        for seq in range(1, count + 1):
            payload = marker.encode().ljust(32, b'.')
            hdr = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
            pkt = struct.pack('!BBHHH', 8, 0, checksum(hdr + payload), ident, seq) + payload
            s.sendto(pkt, (host, 0))
            deadline = time.time() + timeout
            got = 'timeout'
            while time.time() < deadline:
                try:
                    data, peer = s.recvfrom(2048)
                except socket.timeout:
                    break
                ihl = (data[0] & 0x0F) * 4
                t, _, _, rid, rseq = struct.unpack('!BBHHH', data[ihl:ihl + 8])
                if t == 0 and rid == ident and rseq == seq:
                    got = 'reply from %s' % peer[0]
                    break
            out.append('icmp %s id=%d seq=%d %s -> %s' % (host, ident, seq, marker, got))
            time.sleep(0.05)
    finally:
        s.close()
    return '\n'.join(out)


def many(specs, gap, offset):
    """specs: host:port:marker items; start them gap seconds apart (after offset) and let them
    overlap, so timing alone cannot pair the two sides of a NAT."""
    results = [None] * len(specs)

    def run(i, host, port, marker):
        results[i] = http_get(host, port, marker)

    threads = []
    time.sleep(offset)
    for i, spec in enumerate(specs):
        host, port, marker = spec.split(':')
        t = threading.Thread(target=run, args=(i, host, int(port), marker))
        t.start()
        threads.append(t)
        time.sleep(gap)
    for t in threads:
        t.join()
    return '\n'.join(results)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    h = sub.add_parser('http')
    h.add_argument('host'); h.add_argument('port', type=int); h.add_argument('marker')
    h.add_argument('--bind-port', type=int, default=0)
    h.add_argument('--path', default='/hello.txt')
    u = sub.add_parser('udp')
    u.add_argument('host'); u.add_argument('port', type=int); u.add_argument('marker')
    u.add_argument('--bind-port', type=int, default=0)
    u.add_argument('--connect', action='store_true')
    i = sub.add_parser('icmp')
    i.add_argument('host'); i.add_argument('marker'); i.add_argument('--id', type=int, required=True)
    i.add_argument('--count', type=int, default=1)
    m = sub.add_parser('many')
    m.add_argument('specs', nargs='+'); m.add_argument('--gap', type=float, default=0.02)
    m.add_argument('--offset', type=float, default=0.0)
    a = ap.parse_args()
    if a.cmd == 'http':
        print(http_get(a.host, a.port, a.marker, a.bind_port, path=a.path))
    elif a.cmd == 'udp':
        print(dns_query(a.host, a.port, a.marker, a.bind_port, connect=a.connect))
    elif a.cmd == 'icmp':
        print(icmp_echo(a.host, a.marker, a.id, a.count))
    else:
        print(many(a.specs, a.gap, a.offset))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
