#!/usr/bin/env bash
# Records captures/23-mid-transfer-proxy: tcpdump started in the middle of a download and of an
# upload through the userland proxy (socat as docker-proxy's stand-in, one per published port).
# - Download: a host process fetches a 256 KiB file from 127.0.0.1:5000 (the container's
#   http.server at 172.17.0.2:5000) and stops reading after its first 64 KiB until the captures
#   run. By then the proxy holds bytes it has read from the container (they crossed docker0
#   before the capture) and not yet written to the client: lo's copy of the download is that
#   many bytes longer than docker0's, and both end with the same last byte.
# - Upload: another host process sends 256 KiB to 127.0.0.1:5001 (a sink in the container at
#   172.17.0.2:5001 that stops reading after 64 KiB until the captures run, then answers with
#   the byte count). Here docker0's copy is the longer one.
#
#   sudo captures/record-mid-transfer.sh
#
# Everything runs in network namespaces this script creates (a host and a container) and
# deletes at the end; nothing is added to the root namespace.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/23-mid-transfer-proxy"
SUF="nfmt$$"
NS_H="${SUF}h"
NS_C="${SUF}c"
WORK="$(mktemp -d /tmp/nf-midxfer.XXXXXX)"
ALL_NS=("$NS_H" "$NS_C")
# shellcheck source=lib/lab.sh
. "$HERE/lib/lab.sh"

one_container_lab veth5b1c0de

mkdir -p "$WORK/www" "$OUT"
# Text a reader can recognise in the payload view, every line numbered (no two alike).
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    i = 0
    while f.tell() < 256 * 1024:
        f.write("natflow mid-transfer line %06d: the quick brown fox jumps over the lazy dog\n" % i)
        i += 1
' "$WORK/www/big.txt"
bg "$NS_C" "$WORK/server.log" python3 -u -m http.server --protocol HTTP/1.1 --bind 172.17.0.2 --directory "$WORK/www" 5000
wait_for 10 nsx "$NS_C" python3 -c 'import socket; socket.create_connection(("172.17.0.2", 5000), 1)'
# docker-proxy's stand-in, with small socket buffers on both sides so that what it holds at
# any moment (and the fixture) stays small.
bg "$NS_H" "$WORK/proxy.log" socat TCP4-LISTEN:5000,bind=127.0.0.1,fork,reuseaddr,sndbuf=16384 TCP4:172.17.0.2:5000,rcvbuf=16384
wait_for 10 nsx "$NS_H" python3 -c 'import socket; socket.create_connection(("127.0.0.1", 5000), 1).close()'

# The upload's sink: reads 64 KiB, waits for the captures, reads the rest slowly, answers.
cat >"$WORK/sink.py" <<'PY'
import os, socket, sys, time
work = sys.argv[1]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
ls.bind(('172.17.0.2', 5001))
ls.listen(1)
open(os.path.join(work, 'sink-listening'), 'w').close()
s, _ = ls.accept()
got = 0
while got < 64 * 1024:
    got += len(s.recv(4096))
open(os.path.join(work, 'sink-ready'), 'w').close()
while not os.path.exists(os.path.join(work, 'go')):
    time.sleep(0.05)
while True:
    d = s.recv(4096)
    if not d:
        break
    got += len(d)
    time.sleep(0.01)
s.sendall(b'nf-s23-up received %d\n' % got)
s.close()
print('nf-s23-up', got, flush=True)
PY
bg "$NS_C" "$WORK/sink.log" python3 -u "$WORK/sink.py" "$WORK"
wait_for 10 test -e "$WORK/sink-listening"
bg "$NS_H" "$WORK/proxy-up.log" socat TCP4-LISTEN:5001,bind=127.0.0.1,fork,reuseaddr,rcvbuf=16384 TCP4:172.17.0.2:5001,sndbuf=16384
wait_for 10 nsx "$NS_H" sh -c 'ss -Hltn "sport = :5001" | grep -q 5001'

# The client: one request; it reads 64 KiB, waits for the captures, then reads the rest slowly
# (4 KiB every 10 ms) and closes.
cat >"$WORK/client.py" <<'PY'
import os, socket, sys, time
work = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.connect(('127.0.0.1', 5000))
s.sendall(b'GET /big.txt?m=nf-s23 HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUser-Agent: natflow-lab\r\n\r\n')
got = 0
while got < 64 * 1024:
    got += len(s.recv(4096))
open(os.path.join(work, 'ready'), 'w').close()
while not os.path.exists(os.path.join(work, 'go')):
    time.sleep(0.05)
expect = int(open(os.path.join(work, 'expect')).read())
# HTTP/1.1 keeps the connection open after the response: the client ends it when it has all.
while got < expect:
    d = s.recv(4096)
    if not d:
        break
    got += len(d)
    time.sleep(0.01)
s.close()
print('nf-s23', got, flush=True)
PY
BODY=$(stat -c %s "$WORK/www/big.txt")
# What the client reads in all: the response headers (python's http.server, measured the same
# way) and the body.
HDR=$(nsx "$NS_C" python3 -c '
import socket
s = socket.create_connection(("172.17.0.2", 5000))
s.sendall(b"HEAD /big.txt HTTP/1.1\r\nHost: x\r\n\r\n")
d = b""
while b"\r\n\r\n" not in d: d += s.recv(4096)
print(d.index(b"\r\n\r\n") + 4)')
echo $((BODY + HDR)) >"$WORK/expect"
bg "$NS_H" "$OUT/client.log" python3 -u "$WORK/client.py" "$WORK"
CLIENT=${PIDS[-1]}
# The uploader: 256 KiB of numbered lines, each with a digest of its number (varied bytes, as
# most uploads are), then it half-closes and reads the sink's answer.
cat >"$WORK/upload.py" <<'PY'
import hashlib, socket
s = socket.create_connection(('127.0.0.1', 5001))
body = b''.join(b'upload %06d %s\n' % (i, hashlib.sha256(b'%d' % i).hexdigest().encode()) for i in range(4000))[:256 * 1024]
s.sendall(body)
s.shutdown(socket.SHUT_WR)
answer = b''
while True:
    d = s.recv(4096)
    if not d:
        break
    answer += d
s.close()
print(answer.decode().strip(), flush=True)
PY
bg "$NS_H" "$OUT/upload.log" python3 -u "$WORK/upload.py"
UPLOADER=${PIDS[-1]}
wait_for 10 test -e "$WORK/ready"
wait_for 10 test -e "$WORK/sink-ready"

# Each interface on its own, and one `-i any` capture of them all.
start_captures "$OUT" lo docker0 veth5b1c0de any
sleep 0.3
touch "$WORK/go"
wait "$CLIENT"
wait "$UPLOADER"
sleep 1
stop_captures "$OUT"
echo "recorded $OUT:"; ls -l "$OUT"
