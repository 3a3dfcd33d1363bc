# Shell helpers the lab recorders share (record.sh, record-late-capture.sh, record-mid-transfer.sh):
# commands in network namespaces, background processes remembered for the teardown, waiting for
# a condition, the teardown itself (it ends every process started and deletes every namespace
# created), and the one-container lab and its captures the two small recorders build.
# The sourcing script sets WORK (its scratch directory) and ALL_NS (its namespaces) first.
PIDS=()      # every background process the script started

teardown() {
  local rc=$? p c
  set +e
  for p in "${PIDS[@]}"; do
    # socat forks one child per connection: end those children of ours too, by PID.
    for c in $(pgrep -P "$p" 2>/dev/null); do kill -TERM "$c" 2>/dev/null; done
    kill -TERM "$p" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for p in "${ALL_NS[@]}"; do ip netns del "$p" 2>/dev/null; done
  rm -rf "$WORK"
  exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
bg() { # bg <ns> <logfile> cmd...  (start in a namespace, remember the PID)
  local ns="$1" log="$2"; shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  PIDS+=($!)
}

wait_for() { # wait_for <seconds> <command...>
  local t="$1"; shift
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { echo "$(basename "$0"): timed out waiting for: $*" >&2; return 1; }
    sleep 0.1
  done
}

# one_container_lab <veth>: the host namespace $NS_H with docker0 (172.17.0.1/16) and a container
# namespace $NS_C (172.17.0.2/16 on its eth0) joined by the veth <veth>, MACs as Docker gives
# them, IPv6 off.
one_container_lab() {
  local veth="$1" ns
  for ns in "$NS_H" "$NS_C"; do
    ip netns add "$ns"
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_H" link add docker0 address 02:42:5e:00:00:01 type bridge
  ip -n "$NS_H" addr add 172.17.0.1/16 dev docker0
  ip -n "$NS_H" link set docker0 up
  ip -n "$NS_H" link add "$veth" type veth peer name eth0 netns "$NS_C"
  ip -n "$NS_H" link set "$veth" master docker0 up
  ip -n "$NS_C" link set eth0 address 02:42:ac:11:00:02 up
  ip -n "$NS_C" addr add 172.17.0.2/16 dev eth0
}

CAPTURES=()  # the tcpdumps start_captures started

# start_captures <out-dir> <iface>...: a tcpdump in $NS_H per interface (`any` too) writing
# <out-dir>/<iface>.pcap, and the host's links as ip-link.json (the -i any capture's names);
# returns once every tcpdump listens. --immediate-mode: without it a tcpdump stopped by SIGINT
# drops what sits in its last, unfinished ring block.
start_captures() {
  local out="$1" i; shift
  for i in "$@"; do
    bg "$NS_H" "$WORK/tcpdump-$i.err" tcpdump -Z root -p -U --immediate-mode -n -i "$i" -w "$out/$i.pcap"
    CAPTURES+=("${PIDS[-1]}")
  done
  ip -n "$NS_H" -j link show >"$out/ip-link.json"
  for i in "$@"; do wait_for 10 grep -q 'listening on' "$WORK/tcpdump-$i.err"; done
}

# stop_captures <out-dir>: ends the tcpdumps as Ctrl-C would (each writes out what it holds).
stop_captures() {
  local p
  for p in "${CAPTURES[@]}"; do kill -INT "$p"; done
  for p in "${CAPTURES[@]}"; do wait "$p" || true; done
  chmod 644 "$1"/*.pcap
}
