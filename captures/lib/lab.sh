# Shell helpers the lab recorders share (record.sh, record-late-capture.sh): commands in network
# namespaces, background processes remembered for the teardown, waiting for a condition, and the
# teardown itself, which ends every process started and deletes every namespace created.
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
