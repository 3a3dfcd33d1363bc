#!/usr/bin/env python3
"""Derive a scenario's truth.json from what the kernel recorded, not from what we intended.

Inputs (all in the scenario directory): conntrack.txt (`conntrack -L -o extended` taken right
after the traffic), meta.json (host addresses, published ports, bridge ports, proxy mode) and
the per-interface captures, read with tshark.

- Each conntrack entry gives the tuple before NAT (original direction) and, from its reply
  tuple, the tuple after NAT. tcpdump taps ingress before PREROUTING and egress after
  POSTROUTING, so the pre-NAT tuple is what the ingress interface shows and the post-NAT tuple
  what the egress interface shows; the interface is the host's connected route to the
  non-local endpoint (plus the container's bridge port).
- The userland proxy makes two unrelated conntrack entries; they are linked through the
  unique marker both carry in their payload, or, when a snaplen cut the marker off, through
  the proxy's own log (socat -d -d, recorded with --snaplen: which client it accepted and the
  local address it dialled the container from), or, when the upstream leg carries neither,
  because it is the only candidate for that published port.
- A marker counts only when the capture holds the byte after it: a payload cut inside the
  marker (--snaplen) could otherwise read as another, shorter marker (nf-s08-p50 -> nf-s08-p5).
- Every leg is then looked up in its interface's capture; a leg that is not there fails the
  derivation, so a broken recording cannot produce a truth file. Where a snaplen cut a TCP
  header short of 20 bytes (IPv6 at 68), tshark gives only the ports; the flags, seq and ack
  are then read from the bytes the frame kept.
"""
import ipaddress
import json
import os
import re
import struct
import subprocess
import sys

# The lookahead wants the byte after the marker (' ' in HTTP, a label length in DNS, '.' in
# the ICMP padding) captured: a marker cut by the snaplen is no marker, never a shorter one.
MARKER = re.compile(rb'nf-s\d\d[ab]?-[a-z]\d+(?=[^0-9])')


def parse_conntrack(path, events=False):
    entries = []
    for line in open(path):
        line = line.strip()
        if events:
            # `[ts]\t [NEW] ipv4 ...`: only NEW matters; its reply tuple already carries the NAT.
            m = re.match(r'\[[0-9.]+\]\s+\[NEW\]\s+(ipv[46] .*)$', line)
            if not m:
                continue
            line = m.group(1)
        if not line or not (line.startswith('ipv4') or line.startswith('ipv6')):
            continue
        toks = line.split()
        proto = toks[2]
        kv = [t.split('=', 1) for t in toks if '=' in t]
        sides = [{}, {}]
        side = -1
        for k, v in kv:
            if k == 'src':
                side += 1
            if 0 <= side <= 1 and k not in sides[side]:
                sides[side][k] = v
        if side < 1 or proto not in ('tcp', 'udp', 'icmp'):
            continue
        entries.append({'line': line, 'proto': proto, 'orig': sides[0], 'reply': sides[1],
                        'source': 'conntrack-events.txt' if events else 'conntrack.txt'})
    return entries


def tuple_of(proto, src, sport, dst, dport, icmp_id):
    if proto == 'icmp':
        return {'proto': 'icmp', 'src': src, 'sport': None, 'dst': dst, 'dport': None, 'icmpId': int(icmp_id)}
    return {'proto': proto, 'src': src, 'sport': int(sport), 'dst': dst, 'dport': int(dport), 'icmpId': None}


def pre_post(e):
    o, r, p = e['orig'], e['reply'], e['proto']
    pre = tuple_of(p, o['src'], o.get('sport'), o['dst'], o.get('dport'), o.get('id'))
    # The reply tuple reversed is what the connection looks like after NAT.
    post = tuple_of(p, r['dst'], r.get('dport'), r['src'], r.get('sport'), r.get('id'))
    return pre, post


def key(t):
    if t['proto'] == 'icmp':
        return ('icmp', t['src'], t['dst'], t['icmpId'])
    return (t['proto'], t['src'], t['sport'], t['dst'], t['dport'])


def endpoint(t, side):
    ip = t[side]
    if t['proto'] == 'icmp':
        return {'ip': ip, 'icmpId': t['icmpId']}
    return {'ip': ip, 'port': t['sport' if side == 'src' else 'dport']}


FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'ip.proto', 'tcp.srcport', 'tcp.dstport',
          'udp.srcport', 'udp.dstport', 'icmp.type', 'icmp.ident', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw',
          'tcp.payload', 'udp.payload', 'data.data', 'ipv6.src', 'ipv6.dst', 'ipv6.nxt']


def capture_frames(path):
    """Every record of a pcap or pcapng file as (link type, captured bytes), in file order (the
    order of tshark's frame.number)."""
    data = open(path, 'rb').read()
    frames = []
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
        linktype = struct.unpack_from(e + 'I', data, 20)[0] & 0x0FFFFFFF
        off = 24
        while off + 16 <= len(data):
            caplen = struct.unpack_from(e + 'I', data, off + 8)[0]
            frames.append((linktype, data[off + 16:off + 16 + caplen]))
            off += 16 + caplen
        return frames
    if magic == b'\x0a\x0d\x0d\x0a':
        e, off, links = '<', 0, []
        while off + 12 <= len(data):
            btype = struct.unpack_from(e + 'I', data, off)[0]
            if btype == 0x0A0D0D0A:
                e = '<' if data[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
                links = []
            blen = struct.unpack_from(e + 'I', data, off + 4)[0]
            if btype == 1:  # interface description: its link type
                links.append(struct.unpack_from(e + 'H', data, off + 8)[0])
            elif btype == 6:  # enhanced packet
                ifid, caplen = struct.unpack_from(e + 'I', data, off + 8)[0], struct.unpack_from(e + 'I', data, off + 20)[0]
                frames.append((links[ifid], data[off + 28:off + 28 + caplen]))
            elif btype == 3:  # simple packet: the captured length is what the block holds
                origlen = struct.unpack_from(e + 'I', data, off + 8)[0]
                frames.append((links[0], data[off + 12:off + 12 + min(origlen, blen - 16)]))
            if blen < 12:
                break
            off += blen
        return frames
    raise SystemExit('derive-truth: %s: neither pcap nor pcapng' % path)


def cut_tcp_header(linktype, b):
    """The TCP bytes a frame kept, or None when it is no TCP segment the link and IP headers
    lead to. Link: Ethernet (802.1Q tags skipped), Linux cooked v1/v2, BSD loopback, raw IP."""
    if linktype == 1:
        off, et = 14, b[12:14]
        while et in (b'\x81\x00', b'\x88\xa8') and len(b) >= off + 4:
            et, off = b[off + 2:off + 4], off + 4
        ipv = {b'\x08\x00': 4, b'\x86\xdd': 6}.get(et)
    elif linktype == 113:
        off, ipv = 16, {b'\x08\x00': 4, b'\x86\xdd': 6}.get(b[14:16])
    elif linktype == 276:
        off, ipv = 20, {b'\x08\x00': 4, b'\x86\xdd': 6}.get(b[0:2])
    elif linktype in (0, 108):  # the address family in host or network order
        fam = struct.unpack('<I', b[:4])[0] if linktype == 0 and b[:1] != b'\x00' else struct.unpack('>I', b[:4])[0]
        off, ipv = 4, 4 if fam == 2 else 6 if fam in (10, 24, 28, 30) else None
    elif linktype in (101, 12, 14, 228, 229):
        off, ipv = 0, (b[0] >> 4) if b else None
    else:
        return None
    if ipv == 4:
        if len(b) < off + 20 or b[off + 9] != 6 or struct.unpack_from('>H', b, off + 6)[0] & 0x1FFF:
            return None
        return b[off + (b[off] & 0x0F) * 4:]
    if ipv == 6:
        if len(b) < off + 40:
            return None
        nxt, off = b[off + 6], off + 40
        while nxt in (0, 43, 60, 44, 51):
            if len(b) < off + 8:
                return None
            if nxt == 44:
                if struct.unpack_from('>H', b, off + 2)[0] & 0xFFF8:
                    return None  # a later fragment: no TCP header in it
                step = 8
            elif nxt == 51:
                step = (b[off + 1] + 2) * 4
            else:
                step = (b[off + 1] + 1) * 8
            nxt, off = b[off], off + step
        return b[off:] if nxt == 6 else None
    return None


def index_capture(path):
    """Initiator-direction packets of each tuple in one capture: count, markers, SYN ISN."""
    cmd = ['tshark', '-n', '-r', path, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f']
    for f in FIELDS:
        cmd += ['-e', f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    idx = {}
    frames = None
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split('\t')))
        if not v.get('ip.src') and v.get('ipv6.src'):
            # IPv6 (13): the same keys; tshark and conntrack both print addresses RFC 5952-compressed.
            v['ip.src'], v['ip.dst'], v['ip.proto'] = v['ipv6.src'], v['ipv6.dst'], v.get('ipv6.nxt', '')
        if not v.get('ip.src'):
            continue
        proto = {'6': 'tcp', '17': 'udp', '1': 'icmp'}.get(v['ip.proto'])
        if proto == 'tcp':
            k = ('tcp', v['ip.src'], int(v['tcp.srcport']), v['ip.dst'], int(v['tcp.dstport']))
        elif proto == 'udp':
            k = ('udp', v['ip.src'], int(v['udp.srcport']), v['ip.dst'], int(v['udp.dstport']))
        elif proto == 'icmp' and v['icmp.type'] in ('8', '0') and v['icmp.ident']:
            ident = int(v['icmp.ident'], 0)
            # Key replies by the request's direction so a lookup finds both.
            if v['icmp.type'] == '8':
                k = ('icmp', v['ip.src'], v['ip.dst'], ident)
            else:
                k = ('icmp-reply', v['ip.dst'], v['ip.src'], ident)
        else:
            continue
        rec = idx.setdefault(k, {'packets': 0, 'markers': set(), 'synSeq': None})
        rec['packets'] += 1
        payload = v.get('tcp.payload') or v.get('udp.payload') or v.get('data.data') or ''
        if payload:
            for m in MARKER.findall(bytes.fromhex(payload.replace(':', ''))):
                rec['markers'].add(m.decode())
        flags = seq = ack = None
        if proto == 'tcp' and v['tcp.flags']:
            flags, seq, ack = int(v['tcp.flags'], 16), int(v['tcp.seq_raw']), int(v['tcp.ack_raw'])
        elif proto == 'tcp':
            # tshark dissects a TCP header only when its 20 bytes were captured; a snaplen can
            # keep less (68 bytes: 14 of them under IPv6 and Ethernet, 8 under IPv6 and SLL2), and
            # tshark then gives the ports alone. The rest is read from the bytes the frame kept:
            # seq (4-7), ack (8-11), flags (13), each only when captured.
            if frames is None:
                frames = capture_frames(path)
            th = cut_tcp_header(*frames[int(v['frame.number']) - 1])
            if th is not None and len(th) < 20:
                if len(th) < 4 or struct.unpack_from('>HH', th) != (int(v['tcp.srcport']), int(v['tcp.dstport'])):
                    raise SystemExit('derive-truth: %s frame %s: the TCP bytes kept do not hold tshark\'s ports'
                                     % (path, v['frame.number']))
                if len(th) >= 14:
                    flags, seq, ack = th[13], struct.unpack_from('>I', th, 4)[0], struct.unpack_from('>I', th, 8)[0]
        if flags is not None:
            if flags & 0x12 == 0x02:
                rec['synSeq'] = seq
            elif flags & 0x12 == 0x12 or flags & 0x16 == 0x14:
                # The SYN-ACK (or the RST refusing the SYN) acknowledges ISN+1: that is how a
                # reply whose tuple NAT made different from the request's is tied to it.
                idx.setdefault(('synack', (ack - 1) & 0xFFFFFFFF), []).append(k)
    return idx


ERR_FIELDS = ['frame.time_epoch', 'ip.src', 'ip.dst', 'ip.id', 'ip.proto', 'icmp.type', 'icmp.code',
              'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport']
ICMP_ERROR_TYPES = ('3', '4', '5', '11', '12')


def icmp_errors(path):
    """ICMP errors in one capture, with the header they quote (tshark lists outer,inner)."""
    cmd = ['tshark', '-n', '-r', path, '-Y', 'icmp', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a',
           '-E', 'aggregator=,']
    for f in ERR_FIELDS:
        cmd += ['-e', f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    errs = []
    for line in out.splitlines():
        v = {k: x.split(',') for k, x in zip(ERR_FIELDS, line.split('\t'))}
        if v['icmp.type'][0] not in ICMP_ERROR_TYPES or len(v['ip.src']) < 2:
            continue
        proto = {'6': 'tcp', '17': 'udp'}.get(v['ip.proto'][1])
        if proto is None or not v[proto + '.srcport'][0]:
            continue
        errs.append({
            'ts': float(v['frame.time_epoch'][0]),
            'type': int(v['icmp.type'][0]), 'code': int(v['icmp.code'][0]),
            'src': v['ip.src'][0], 'dst': v['ip.dst'][0],
            'ipId': int(v['ip.id'][0], 0), 'quotedIpId': int(v['ip.id'][1], 0),
            'quoted': tuple_of(proto, v['ip.src'][1], v[proto + '.srcport'][0], v['ip.dst'][1],
                               v[proto + '.dstport'][0], None),
        })
    return errs


def attach_icmp_errors(conv, errors_of):
    """The ICMP errors that report on a conversation: on each interface of a leg, those quoting
    that leg's tuple. One error seen on several interfaces (NAT translates its outer and its
    quoted header) is one entry, told apart from others by type, code and outer IP ID, which NAT
    leaves alone."""
    found = {}
    for leg in conv['legs']:
        for iface in leg['interfaces']:
            for e in errors_of(iface):
                if key(e['quoted']) != key(leg['tuple']):
                    continue
                k = (e['type'], e['code'], e['ipId'], e['quotedIpId'])
                ent = found.setdefault(k, {'type': e['type'], 'code': e['code'], 'ipId': e['ipId'],
                                           'quotedIpId': e['quotedIpId'], 'legs': [], 'ts': e['ts']})
                ent['ts'] = min(ent['ts'], e['ts'])
                seen = next((l for l in ent['legs'] if (l['src'], l['dst'], key(l['quoted'])) ==
                             (e['src'], e['dst'], key(e['quoted']))), None)
                if seen is None:
                    seen = {'quotes': leg['role'], 'interfaces': [], 'src': e['src'], 'dst': e['dst'],
                            'quoted': e['quoted']}
                    ent['legs'].append(seen)
                if iface not in seen['interfaces']:
                    seen['interfaces'].append(iface)
    if found:
        conv['icmpErrors'] = [dict((k, v) for k, v in x.items() if k != 'ts')
                              for x in sorted(found.values(), key=lambda x: x['ts'])]


SOCAT_LINE = re.compile(r'^\S+ \S+ socat\[(\d+)\] [A-Z] (.*)$')
SOCAT_ADDR = r'AF=\d+ (?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d+)'


def socat_addr(m, i):
    # socat writes IPv6 addresses out in full ([0000:…:0001]); conntrack and tshark compress
    # them (::1, RFC 5952), and so does ipaddress: compared in that one form.
    return (str(ipaddress.ip_address(m.group(i) or m.group(i + 1))), int(m.group(i + 2)))


def proxy_log_pairs(d):
    """The TCP proxy's own account of each connection it relayed, from socat -d -d (record.sh
    runs it so with --snaplen): the parent logs the client it accepted and the child it forked,
    the child the container address it opened and the local address it connected from.
    Returns [(file, {'hostPort', 'client': (ip, port), 'to': (ip, port), 'from': (ip, port)})].
    Logs without -d -d (every recording without --snaplen) give nothing."""
    pairs = []
    for name in sorted(os.listdir(d)):
        fm = re.match(r'proxy-(\d+)(?:-ipv6)?\.log$', name)
        if not fm:
            continue
        # A child may log before its parent logs the fork: joined by PID once the file is read.
        accepted, forked, child = {}, {}, {}
        for line in open(os.path.join(d, name), errors='replace'):
            lm = SOCAT_LINE.match(line.rstrip('\n'))
            if not lm:
                continue
            pid, msg = int(lm.group(1)), lm.group(2)
            m = re.match(r'accepting connection from ' + SOCAT_ADDR, msg)
            if m:
                accepted[pid] = socat_addr(m, 1)
                continue
            m = re.match(r'forked off child process (\d+)$', msg)
            if m and pid in accepted:
                forked.setdefault(int(m.group(1)), []).append(accepted.pop(pid))
                continue
            m = re.match(r'opening connection to ' + SOCAT_ADDR, msg)
            if m:
                child.setdefault(pid, {}).setdefault('to', []).append(socat_addr(m, 1))
            m = re.match(r'successfully connected from local address ' + SOCAT_ADDR, msg)
            if m:
                child.setdefault(pid, {}).setdefault('from', []).append(socat_addr(m, 1))
        # A PID forked twice (reused) or a child that connected twice is no evidence: left out.
        for pid, cl in forked.items():
            c = child.get(pid, {})
            if len(cl) == 1 and len(c.get('to', [])) == 1 and len(c.get('from', [])) == 1:
                pairs.append((name, {'hostPort': int(fm.group(1)), 'client': cl[0], 'to': c['to'][0], 'from': c['from'][0]}))
    return pairs


def compact_json(v, ind=''):
    """Indented JSON with flat objects (tuples, endpoints) on one line: reviewable, and the
    100-connection scenario stays small."""
    flat = lambda x: not isinstance(x, (dict, list)) or (isinstance(x, dict) and all(
        not isinstance(y, (dict, list)) for y in x.values()))
    if isinstance(v, dict) and v and not flat(v):
        inner = ind + '  '
        return '{\n' + ',\n'.join(inner + json.dumps(k) + ': ' + compact_json(x, inner) for k, x in v.items()) \
            + '\n' + ind + '}'
    if isinstance(v, list) and v and not all(flat(x) and not isinstance(x, dict) for x in v):
        inner = ind + '  '
        return '[\n' + ',\n'.join(inner + compact_json(x, inner) for x in v) + '\n' + ind + ']'
    return json.dumps(v, separators=(', ', ': '))


def main():
    d = sys.argv[1]
    meta = json.load(open(os.path.join(d, 'meta.json')))
    snum = 's' + meta['scenario'].split('-')[0]
    proxy = meta['mode'] == 'userland-proxy'
    nets = [(ipaddress.ip_interface('%s/%d' % (a['address'], a['prefixlen'])), a['ifname'])
            for a in meta['hostAddresses']]
    local_ips = {a['address'] for a in meta['hostAddresses']}
    containers = {c['ip']: c for c in meta['containers']}
    # 17: containers have an IPv6 address too; a published port reaches either.
    containers.update({c['ip6']: c for c in meta['containers'] if c.get('ip6')})
    ip6_of = {c['ip']: c['ip6'] for c in meta['containers'] if c.get('ip6')}
    published = meta['published']

    def is_local(ip):
        return ip in local_ips or ipaddress.ip_address(ip).is_loopback

    def ifaces_for(ip):
        a = ipaddress.ip_address(ip)
        for net, name in nets:
            if name != 'lo' and a in net.network:
                return [name] + ([containers[ip]['bridgePort']] if ip in containers else [])
        raise SystemExit('derive-truth: no host route for %s' % ip)

    caps = {}

    def cap(iface):
        if iface not in caps:
            caps[iface] = index_capture(os.path.join(d, meta['captures']['perInterface'][iface]))
        return caps[iface]

    entries = parse_conntrack(os.path.join(d, 'conntrack.txt'))
    # Connections refused by RST never become ASSURED and the kernel destroys them at once, so
    # `conntrack -L` taken after the traffic misses them; the event log kept during the run has them.
    seen = {json.dumps(e['orig'], sort_keys=True) for e in entries}
    ev = os.path.join(d, 'conntrack-events.txt')
    if os.path.exists(ev):
        for e in parse_conntrack(ev, events=True):
            k = json.dumps(e['orig'], sort_keys=True)
            if k not in seen:
                seen.add(k)
                entries.append(e)
    brnf = meta['sysctl'].get('net.bridge.bridge-nf-call-iptables') == '1'

    items = []
    for e in entries:
        pre, post = pre_post(e)
        # An ICMP echo id is rewritten like a source port (MASQUERADE), so it counts as SNAT.
        dnat = (pre['dst'], pre['dport']) != (post['dst'], post['dport'])
        snat = (pre['src'], pre['sport'], pre['icmpId']) != (post['src'], post['sport'], post['icmpId'])
        mech = 'dnat+snat' if dnat and snat else 'dnat' if dnat else 'snat' if snat else 'none'
        legs = []
        if pre['src'] in containers and post['dst'] in containers and mech == 'none':
            mech = 'bridge'  # switched between bridge ports, never routed through docker0
            legs.append({'role': 'bridged', 'interfaces': [containers[pre['src']]['bridgePort'],
                                                           containers[post['dst']]['bridgePort']], 'tuple': pre})
        elif brnf and dnat and pre['src'] in containers and post['dst'] in containers:
            # br_netfilter runs nat PREROUTING at the bridge hook; when the new destination is
            # behind the same bridge the frame is bridged back out (br_nf_pre_routing_finish_bridge)
            # instead of being routed: docker0 only sees it on the way out, DNATed but not yet
            # SNATed; the bridge ports see the untouched and the fully translated tuple.
            mid = dict(pre, dst=post['dst'], dport=post['dport'])
            legs.append({'role': 'ingress', 'interfaces': [containers[pre['src']]['bridgePort']], 'tuple': pre})
            legs.append({'role': 'bridged-dnat', 'interfaces': [meta.get('bridge', 'docker0')], 'tuple': mid})
            legs.append({'role': 'egress', 'interfaces': [containers[post['dst']]['bridgePort']], 'tuple': post})
        elif is_local(pre['src']) and is_local(post['dst']):
            legs.append({'role': 'local', 'interfaces': ['lo'], 'tuple': pre})
        else:
            if not is_local(pre['src']):
                legs.append({'role': 'ingress', 'interfaces': ifaces_for(pre['src']), 'tuple': pre})
            elif dnat or snat:
                # A local process's connection NATed in OUTPUT/POSTROUTING: the tuple it
                # opened is on no wire at all (not even lo); recorded so a reader knows that.
                legs.append({'role': 'local-origin', 'interfaces': [], 'tuple': pre})
            if not is_local(post['dst']):
                legs.append({'role': 'egress', 'interfaces': ifaces_for(post['dst']), 'tuple': post})
        if meta['mode'] == 'routed' and mech == 'none' and sum(len(l['interfaces']) for l in legs) >= 2:
            # A routed network (19): the same packet routed between eth0 and the bridge, no rewrite.
            mech = 'bridge'
        role = None
        # docker-proxy relays TCP and UDP alike; a published port is TCP unless meta says otherwise
        # (recordings before 10 have no "proto" field).
        pub = [p for p in published if p.get('proto', 'tcp') == pre['proto']]
        if proxy and mech == 'none' and pre['proto'] in ('tcp', 'udp'):
            if is_local(post['dst']) and any(p['hostPort'] == pre['dport'] for p in pub):
                role = 'client'
            elif is_local(pre['src']) and any(pre['dst'] in (p['containerIp'], ip6_of.get(p['containerIp']))
                                              and p['containerPort'] == pre['dport'] for p in pub):
                role = 'upstream'
        markers = set()
        for leg in legs:
            if leg['role'] == 'local-origin':
                for iface in meta['captures']['perInterface']:
                    if key(pre) in cap(iface):
                        raise SystemExit('derive-truth: %s: %s NATed locally yet seen on %s' % (d, key(pre), iface))
            for iface in leg['interfaces']:
                rec = cap(iface).get(key(leg['tuple']))
                if rec is None or rec['packets'] == 0:
                    raise SystemExit('derive-truth: %s: conntrack entry %s: tuple %s not captured on %s'
                                     % (d, e['line'], key(leg['tuple']), iface))
                markers |= rec['markers']
                if rec['synSeq'] is not None:
                    for rk in sorted(set(cap(iface).get(('synack', rec['synSeq']), []))):
                        leg.setdefault('replies', {}).setdefault(iface, []).append({
                            'proto': rk[0], 'src': rk[1], 'sport': rk[2], 'dst': rk[3], 'dport': rk[4], 'icmpId': None})
            if role:
                leg['role'] = role
        if len(markers) > 1:
            raise SystemExit('derive-truth: %s: several markers %s in one connection' % (d, sorted(markers)))
        items.append({'entry': e, 'pre': pre, 'post': post, 'mech': mech, 'dnat': dnat, 'snat': snat,
                      'legs': legs, 'role': role, 'marker': next(iter(markers), None)})

    convs = []
    # A request the host dropped before its conntrack entry was confirmed (21: a FORWARD rule
    # after DNAT) is in no dump and no event log; the uplink capture still holds its SYN. Such a
    # SYN to a published port on a host address, answered on no capture point, is a
    # conversation of its own with no counterpart anywhere.
    known = {key(i['pre']) for i in items}
    host_ports = {p['hostPort'] for p in published if p.get('proto', 'tcp') == 'tcp'}
    candidates = []
    if 'eth0' in meta['captures']['perInterface']:
        # Read without registering the capture: it becomes a source of the truth only if it holds one.
        uplink = caps.get('eth0') or index_capture(os.path.join(d, meta['captures']['perInterface']['eth0']))
        candidates = [(k, rec) for k, rec in sorted(uplink.items(), key=lambda kv: str(kv[0]))
                      if isinstance(k, tuple) and len(k) == 5 and k[0] == 'tcp' and rec['synSeq'] is not None
                      and k not in known and is_local(k[3]) and k[4] in host_ports]
    answered = set()
    if candidates:
        caps.setdefault('eth0', uplink)
        for iface in meta['captures']['perInterface']:
            answered |= {k[1] for k in cap(iface) if isinstance(k, tuple) and k and k[0] == 'synack'}
    for k, rec in candidates:
            if rec['synSeq'] in answered:
                continue
            t = tuple_of('tcp', k[1], k[2], k[3], k[4], None)
            convs.append({'marker': next(iter(rec['markers']), None), 'proto': 'tcp', 'mechanism': 'none', 'linkedBy': None,
                          'translation': None,
                          'legs': [{'role': 'ingress', 'interfaces': ['eth0'], 'tuple': t, 'conntrack': None,
                                    'conntrackSource': None}]})
    # The userland proxy: link client and upstream connections, by the marker both carry, else
    # by the proxy's log (a snaplen cut the marker), else as the only candidate left.
    clients = [i for i in items if i['role'] == 'client']
    ups = [i for i in items if i['role'] == 'upstream']
    logged = proxy_log_pairs(d)
    log_used = set()
    link = {}  # id(client) -> (upstream, how)
    for c in clients:
        mate = [u for u in ups if c['marker'] and u['marker'] == c['marker']]
        if len(mate) > 1:
            raise SystemExit('derive-truth: %s: marker %s on several upstream connections' % (d, c['marker']))
        said = [(f, p) for f, p in logged if c['pre']['proto'] == 'tcp' and p['client'] == (c['pre']['src'], c['pre']['sport'])
                and p['hostPort'] == c['pre']['dport']]
        by_log = [u for u in ups for f, p in said if u['pre']['proto'] == 'tcp'
                  and (u['pre']['dst'], u['pre']['dport']) == p['to'] and u['pre']['sport'] == p['from'][1]
                  and (p['from'][0] in ('0.0.0.0', '::') or u['pre']['src'] == p['from'][0])]
        if len(said) > 1 or len(by_log) > 1:
            raise SystemExit('derive-truth: %s: the proxy log names %s more than once' % (d, key(c['pre'])))
        if by_log:
            log_used.add(said[0][0])
        if mate and by_log and by_log[0] is not mate[0]:
            raise SystemExit('derive-truth: %s: marker %s links %s to %s, the proxy log to %s'
                             % (d, c['marker'], key(c['pre']), key(mate[0]['pre']), key(by_log[0]['pre'])))
        if mate:
            link[id(c)] = (mate[0], 'marker')
        elif by_log:
            link[id(c)] = (by_log[0], 'proxy-log')
    linked_ups = {id(u) for u, _ in link.values()}
    if len(linked_ups) < len(link):
        raise SystemExit('derive-truth: %s: one upstream connection linked to several clients' % d)
    for c in clients:
        if id(c) in link:
            continue
        hp = c['pre']['dport']
        target = [(ip, p['containerPort']) for p in published
                  if p['hostPort'] == hp and p.get('proto', 'tcp') == c['pre']['proto']
                  for ip in (p['containerIp'], ip6_of.get(p['containerIp'])) if ip]
        cand = [u for u in ups if not u['marker'] and id(u) not in linked_ups and u['pre']['proto'] == c['pre']['proto']
                and (u['pre']['dst'], u['pre']['dport']) in target]
        peers = [x for x in clients if x['pre']['dport'] == hp and x['pre']['proto'] == c['pre']['proto'] and
                 id(x) not in link]
        if len(cand) == 1 and len(peers) == 1:
            link[id(c)] = (cand[0], 'sole-candidate')
    used = set()
    for c in clients:
        mate, how = link.get(id(c), (None, None))
        legs = [dict(l, conntrack=c['entry']['line'], conntrackSource=c['entry']['source']) for l in c['legs']]
        conv = {'marker': c['marker'], 'proto': c['pre']['proto'], 'mechanism': 'userland-proxy', 'linkedBy': None,
                'legs': legs, 'translation': None}
        if mate:
            used.add(id(mate))
            conv['linkedBy'] = how
            # A cut payload may keep the marker on one side only (13: an IPv6 client, an IPv4 upstream).
            if not conv['marker']:
                conv['marker'] = mate['marker']
            elif mate['marker'] and mate['marker'] != conv['marker']:
                raise SystemExit('derive-truth: %s: markers %s and %s on the two sides of one proxied connection'
                                 % (d, conv['marker'], mate['marker']))
            conv['legs'] += [dict(l, conntrack=mate['entry']['line'], conntrackSource=mate['entry']['source']) for l in mate['legs']]
        convs.append(conv)
    for i in items:
        if i['role'] == 'client' or (i['role'] == 'upstream' and id(i) in used):
            continue
        tr = None
        if i['dnat'] or i['snat']:
            tr = {'dnat': {'from': endpoint(i['pre'], 'dst'), 'to': endpoint(i['post'], 'dst')} if i['dnat'] else None,
                  'snat': {'from': endpoint(i['pre'], 'src'), 'to': endpoint(i['post'], 'src')} if i['snat'] else None}
        mech = i['mech']
        if i['role'] == 'upstream':
            mech = 'userland-proxy'  # an upstream leg whose client side we could not link
        convs.append({'marker': i['marker'], 'proto': i['pre']['proto'], 'mechanism': mech,
                      'linkedBy': None, 'translation': tr,
                      'legs': [dict(l, conntrack=i['entry']['line'], conntrackSource=i['entry']['source']) for l in i['legs']]})

    def natkey(s):
        return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', s)]

    marked = sorted([c for c in convs if c['marker']], key=lambda c: natkey(c['marker']))
    unmarked = sorted([c for c in convs if not c['marker']],
                      key=lambda c: (c['proto'], c['legs'][0]['tuple']['dst'], c['legs'][0]['tuple']['dport'] or 0,
                                     c['legs'][0]['tuple']['src']))
    out = []
    for c in marked:
        c['id'] = c['marker'][3:]
        out.append(c)
    for n, c in enumerate(unmarked, 1):
        c['id'] = '%s-x%d' % (snum, n)
        out.append(c)
    errs = {}

    def errors_of(iface):
        if iface not in errs:
            errs[iface] = icmp_errors(os.path.join(d, meta['captures']['perInterface'][iface]))
        return errs[iface]

    for c in out:
        attach_icmp_errors(c, errors_of)
    kinds = {'tcp': 'http-query', 'udp': 'dns-qname', 'icmp': 'icmp-payload'}
    result = {
        'schema': 'natflow-capture-truth/1',
        'scenario': meta['scenario'],
        'mode': meta['mode'],
        # --snaplen recordings only: the bytes each capture kept of a frame.
        **({'snaplen': meta['snaplen']} if meta.get('snaplen') is not None else {}),
        'derivedFrom': sorted({l['conntrackSource'] for c in out for l in c['legs'] if l['conntrackSource']}) + ['meta.json'] + sorted(meta['captures']['perInterface'][i] for i in caps) + sorted(log_used),
        'conversations': [
            {'id': c['id'], 'marker': c['marker'], 'markerKind': kinds[c['proto']] if c['marker'] else None,
             'proto': c['proto'], 'mechanism': c['mechanism'], 'linkedBy': c['linkedBy'],
             'translation': c['translation'], 'legs': c['legs'],
             **({'icmpErrors': c['icmpErrors']} if 'icmpErrors' in c else {})}
            for c in out
        ],
    }
    with open(os.path.join(d, 'truth.json'), 'w') as f:
        f.write(compact_json(result) + '\n')
    print('derive-truth: %d conversations (%s)' % (len(out), ', '.join(
        '%s=%d' % (m, sum(1 for c in out if c['mechanism'] == m))
        for m in sorted({c['mechanism'] for c in out}))), file=sys.stderr)


if __name__ == '__main__':
    main()
