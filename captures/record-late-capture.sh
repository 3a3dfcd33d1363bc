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

for ns in "$NS_H" "$NS_C"; do
  ip netns add "$ns"
  nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n "$NS_H" link add docker0 address 02:42:5e:00:00:01 type bridge
ip -n "$NS_H" addr add 172.17.0.1/16 dev docker0
ip -n "$NS_H" link set docker0 up
ip -n "$NS_H" link add veth2f22765 type veth peer name eth0 netns "$NS_C"
ip -n "$NS_H" link set veth2f22765 master docker0 up
ip -n "$NS_C" link set eth0 address 02:42:ac:11:00:02 up
ip -n "$NS_C" addr add 172.17.0.2/16 dev eth0

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
TCPDUMP=()
for i in lo docker0 veth2f22765 any; do
  bg "$NS_H" "$WORK/tcpdump-$i.err" tcpdump -Z root -p -U -n -i "$i" -w "$OUT/$i.pcap"
  TCPDUMP+=(${PIDS[-1]})
done
ip -n "$NS_H" -j link show >"$OUT/ip-link.json"
for i in lo docker0 veth2f22765 any; do wait_for 10 grep -q 'listening on' "$WORK/tcpdump-$i.err"; done
sleep 0.3
touch "$WORK/go"
wait "$CLIENT"
sleep 0.5
for p in "${TCPDUMP[@]}"; do kill -INT "$p"; done
for p in "${TCPDUMP[@]}"; do wait "$p" || true; done
chmod 644 "$OUT"/*.pcap
echo "recorded $OUT:"; ls -l "$OUT"
