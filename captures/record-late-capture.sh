#!/usr/bin/env bash
# Records captures/22-late-capture-proxy: tcpdump started while a proxied connection was
# already open, as happens with a pooled or keep-alive client (a database pool, HTTP/1.1
# keep-alive). A host process keeps one HTTP/1.1 connection to 127.0.0.1:5000 (the userland
# proxy, socat as docker-proxy's stand-in, dialing the container at 172.17.0.2:5000); the
# captures (lo, docker0, the container's veth, and -i any) begin after its first request, and
# see two more on it.
#
#   sudo captures/record-late-capture.sh
#
# Everything runs in network namespaces this script creates (a host and a container) and
# deletes at the end; nothing is added to the root namespace.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/22-late-capture-proxy"
SUF="nflc$$"
NS_H="${SUF}h"
NS_C="${SUF}c"
WORK="$(mktemp -d /tmp/nf-late.XXXXXX)"
ALL_NS=("$NS_H" "$NS_C")
# shellcheck source=lib/lab.sh
. "$HERE/lib/lab.sh"

one_container_lab veth2f22765

mkdir -p "$WORK/www" "$OUT"
printf 'hello from the container\n' >"$WORK/www/hello.txt"
# HTTP/1.1: the server keeps the connection open between requests.
bg "$NS_C" "$WORK/server.log" python3 -u -m http.server --protocol HTTP/1.1 --bind 172.17.0.2 --directory "$WORK/www" 5000
wait_for 10 nsx "$NS_C" python3 -c 'import socket; socket.create_connection(("172.17.0.2", 5000), 1)'
# docker-proxy's stand-in: accept on the host port, dial the container.
bg "$NS_H" "$WORK/proxy.log" socat TCP4-LISTEN:5000,bind=127.0.0.1,fork,reuseaddr TCP4:172.17.0.2:5000
wait_for 10 nsx "$NS_H" python3 -c 'import socket; socket.create_connection(("127.0.0.1", 5000), 1).close()'

# The client: one connection, a request, then it waits for the captures before two more.
cat >"$WORK/client.py" <<'PY'
import http.client, os, sys, time
work = sys.argv[1]
c = http.client.HTTPConnection('127.0.0.1', 5000, timeout=10)
for i, marker in enumerate(['nf-s22-r1', 'nf-s22-r2', 'nf-s22-r3']):
    if i == 1:
        open(os.path.join(work, 'ready'), 'w').close()
        while not os.path.exists(os.path.join(work, 'go')):
            time.sleep(0.05)
    c.request('GET', '/hello.txt?m=' + marker, headers={'User-Agent': 'natflow-lab'})
    r = c.getresponse()
    print(marker, r.status, len(r.read()), flush=True)
    time.sleep(0.1)
c.close()
PY
bg "$NS_H" "$OUT/client.log" python3 -u "$WORK/client.py" "$WORK"
CLIENT=${PIDS[-1]}
wait_for 10 test -e "$WORK/ready"

# Each interface on its own, and one `-i any` capture of them all (its interfaces named by the
# ip-link dump beside it, as record.sh writes one).
start_captures "$OUT" lo docker0 veth2f22765 any
sleep 0.3
touch "$WORK/go"
wait "$CLIENT"
sleep 0.5
stop_captures "$OUT"
echo "recorded $OUT:"; ls -l "$OUT"
