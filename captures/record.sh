#!/usr/bin/env bash
# Rebuild Docker's default bridge networking inside network namespaces, run one NAT scenario,
# capture every interface of the simulated host at once and derive the ground truth.
#
#   sudo captures/record.sh <scenario|all|list> [--no-proxy] [--snaplen N] [--out DIR]
#
# --no-proxy records a proxy scenario with userland-proxy=false into captures/<name>--no-proxy/.
# --snaplen N captures headers only, as `tcpdump -s 96` does: every tcpdump and dumpcap gets
# -s N, meta.json and truth.json say "snaplen": N, socat logs its connections (-d -d) so the
# truth can pair the proxy's two sides when the marker is cut off, and the recording goes to
# captures/<name>--snaplen<N>/ (with --no-proxy: captures/<name>--no-proxy--snaplen<N>/).
# --out DIR overrides either directory.
#
# Safety: everything lives in namespaces named nf-<pid>-*; nothing (no address, route or
# iptables rule) is added to the root namespace, no traffic leaves the lab, and teardown kills
# only the PIDs this script started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="$HERE/lib"
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"

SCENARIOS=(01-localhost-proxy 02-external-dnat 03-egress-masquerade 04-port-collision
  05a-hairpin-proxy 05b-hairpin-noproxy 06-localhost-noproxy 07-host-network
  08-concurrent 09-closed-port 10-localhost-udp-proxy 11-udp-closed-port 12-hairpin-promisc
  13-ipv6-proxy 14-host-own-ip 14b-host-own-ip-noproxy 15a-container-to-published-proxy 15b-container-to-published-noproxy
  16-bulk-transfer 17-ipv6-network 18-user-network 19-routed-no-nat
  09b-closed-port-noproxy 10b-localhost-udp-noproxy 13b-ipv6-noproxy 20-replies-dropped 21-requests-dropped)

usage() {
  echo "usage: $0 <scenario|all|list> [--no-proxy] [--snaplen N] [--out DIR]" >&2
  echo "scenarios: ${SCENARIOS[*]} (a number such as 1 or 5b is enough)" >&2
  echo "  --no-proxy    userland-proxy=false -> captures/<name>--no-proxy/" >&2
  echo "  --snaplen N   capture N bytes of each frame (tcpdump/dumpcap -s N) -> captures/<name>--snaplen<N>/" >&2
  echo "  --out DIR     record into DIR instead" >&2
  exit 2
}

resolve_scenario() {
  local want="$1" s
  for s in "${SCENARIOS[@]}"; do
    if [ "$s" = "$want" ] || [ "${s%%-*}" = "$want" ] || [ "${s%%-*}" = "0$want" ]; then
      echo "$s"; return 0
    fi
  done
  return 1
}

[ $# -ge 1 ] || usage
ARG="$1"; shift
FORCE_NOPROXY=0; OUT=""; SNAPLEN=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-proxy) FORCE_NOPROXY=1 ;;
    --snaplen)
      SNAPLEN="${2:-}"; shift
      # tcpdump takes 1..262144 (0 would mean "the default", i.e. no cut: not what this option is for).
      [[ "$SNAPLEN" =~ ^[1-9][0-9]*$ ]] && [ "$SNAPLEN" -le 262144 ] ||
        { echo "--snaplen needs a number of bytes, 1 to 262144" >&2; exit 2; } ;;
    --out) OUT="${2:?--out needs a directory}"; shift ;;
    *) usage ;;
  esac
  shift
done

if [ "$ARG" = list ]; then printf '%s\n' "${SCENARIOS[@]}"; exit 0; fi
if [ "$ARG" = all ]; then
  [ -z "$OUT" ] || { echo "--out cannot be used with all" >&2; exit 2; }
  extra=(); [ $FORCE_NOPROXY = 1 ] && extra=(--no-proxy)
  [ -z "$SNAPLEN" ] || extra+=(--snaplen "$SNAPLEN")
  for s in "${SCENARIOS[@]}"; do "$0" "$s" "${extra[@]}"; done
  exit 0
fi
SCEN="$(resolve_scenario "$ARG")" || usage

[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root (network namespaces)" >&2; exit 2; }

# ---------------------------------------------------------------- tools
ensure_tools() {
  local need=() p
  local -A bin=([tcpdump]=tcpdump [tshark]=dumpcap [socat]=socat [conntrack]=conntrack
    [iptables]=iptables-save [iproute2]=ip [python3]=/usr/bin/python3)
  for p in "${!bin[@]}"; do
    command -v "${bin[$p]}" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "record.sh: installing ${need[*]}" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
  fi
  command -v tshark >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y tshark
}
ensure_tools
PY=/usr/bin/python3

# ---------------------------------------------------------------- scenario mode
NOPROXY=0
case "$SCEN" in 05b-*|06-*|09b-*|10b-*|12-*|13b-*|14b-*|15b-*) NOPROXY=1 ;; esac
[ $FORCE_NOPROXY = 1 ] && NOPROXY=1
if [ -z "$OUT" ]; then
  OUT="$HERE/$SCEN"
  case "$SCEN" in 05b-*|06-*|09b-*|10b-*|12-*|13b-*|14b-*|15b-*) ;; *) [ $NOPROXY = 1 ] && OUT="$HERE/$SCEN--no-proxy" ;; esac
  [ -z "$SNAPLEN" ] || OUT="$OUT--snaplen$SNAPLEN"
fi
rm -rf "$OUT"; mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SNUM="s${SCEN%%-*}"

# ---------------------------------------------------------------- lab names
ID="nf-$$"
NS_H="$ID-host"; NS_X="$ID-ext"; NS_C1="$ID-c1"; NS_C2="$ID-c2"
ALL_NS=("$NS_H" "$NS_X" "$NS_C1" "$NS_C2")
# Deterministic Docker-like port names, so re-recordings name the same interfaces.
VETH_C1="veth$(printf c1 | sha1sum | cut -c1-7)"
VETH_C2="veth$(printf c2 | sha1sum | cut -c1-7)"
# The bridge: Docker's default docker0 on 172.17.0.0/16, or (18) a user-defined network as
# `docker network create` / docker compose makes it: br-<network id>, the next /16.
BR=docker0; NET16=172.17
case "$SCEN" in 18-*) BR=br-5e7a1b2c3d4f; NET16=172.18 ;; esac
# Docker derives container MACs from the address: 02:42 + the IPv4 bytes.
MACNET=$(printf '%02x:%02x' "${NET16%%.*}" "${NET16#*.}")
C1=$NET16.0.2; C2=$NET16.0.3; GW=$NET16.0.1; HOST_IP=198.18.0.1; EXT_IP=198.18.0.2
# 13 only: the uplink's IPv6 addresses (documentation prefix, RFC 3849); docker0 stays IPv4-only.
HOST_IP6=2001:db8:18::1; EXT_IP6=2001:db8:18::2
IPV6=0; case "$SCEN" in 13-*|13b-*|17-*) IPV6=1 ;; esac
# 17 only: the bridge has IPv6 too (dockerd --ipv6 / a network created with --ipv6, ip6tables on),
# so containers have IPv6 addresses and the kernel NATs IPv6 as it does IPv4.
V6NET=0; case "$SCEN" in 17-*) V6NET=1 ;; esac
GW6=fd00:17::1; C1_6=fd00:17::2; C2_6=fd00:17::3
# 19 only: the network in Docker's routed gateway mode (docker network create -o
# com.docker.network.bridge.gateway_mode_ipv4=routed, Docker >= 27): no NAT at all. The bridge's
# published container port is opened in the filter table, the outside routes to 172.17.0.0/16
# through the host, and containers call out with their own addresses. No docker-proxy.
ROUTED=0; case "$SCEN" in 19-*) ROUTED=1 ;; esac
WORK="$(mktemp -d /tmp/nf-lab.XXXXXX)"
CAP_PIDS=()  # the capture processes among PIDS (lib/lab.sh)
# shellcheck source=lib/lab.sh
. "$LIB/lab.sh"

# ---------------------------------------------------------------- build the lab
build_lab() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    ip netns add "$ns"
    # No IPv6: keeps the captures to the IPv4 NAT under test (no MLD / router solicitations).
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx "$ns" ip link set lo up
  done

  # docker0 with Docker's MAC prefix; containers get 02:42:ac:11:00:0x as Docker assigns.
  ip -n "$NS_H" link add "$BR" address 02:42:5e:00:00:01 type bridge
  ip -n "$NS_H" addr add $GW/16 dev "$BR"
  ip -n "$NS_H" link set "$BR" up
  local c veth ip mac cns
  for c in 1 2; do
    if [ $c = 1 ]; then veth=$VETH_C1; ip=$C1; cns=$NS_C1; else veth=$VETH_C2; ip=$C2; cns=$NS_C2; fi
    mac="02:42:$MACNET:00:0$((c + 1))"
    ip -n "$NS_H" link add "$veth" type veth peer name eth0 netns "$cns"
    ip -n "$NS_H" link set "$veth" master "$BR" up
    ip -n "$cns" link set eth0 address "$mac" up
    ip -n "$cns" addr add "$ip/16" dev eth0
    ip -n "$cns" route add default via $GW
    if [ $NOPROXY = 1 ]; then
      ip -n "$NS_H" link set "$veth" type bridge_slave hairpin on
    fi
  done

  # The host's uplink: eth0 on 198.18.0.0/24 (RFC 2544 benchmark range), peer = external client.
  ip -n "$NS_H" link add eth0 address 02:00:c6:12:00:01 type veth peer name eth0 netns "$NS_X" address 02:00:c6:12:00:02
  ip -n "$NS_H" addr add $HOST_IP/24 dev eth0
  ip -n "$NS_H" link set eth0 up
  ip -n "$NS_X" addr add $EXT_IP/24 dev eth0
  ip -n "$NS_X" link set eth0 up
  if [ $IPV6 = 1 ]; then
    # A dual-stack host whose default bridge has no IPv6 (Docker's default): IPv6 on the host's
    # lo and uplink and on the external client, nowhere behind docker0. No router advertisements
    # or solicitations; nodad so the addresses are usable at once.
    local i
    for ns in "$NS_H" "$NS_X"; do
      for i in lo eth0; do nsx "$ns" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=0"; done
      nsx "$ns" sysctl -qw net.ipv6.conf.eth0.accept_ra=0 net.ipv6.conf.eth0.router_solicitations=0
    done
    ip -n "$NS_H" addr add $HOST_IP6/64 dev eth0 nodad
    ip -n "$NS_X" addr add $EXT_IP6/64 dev eth0 nodad
  fi
  if [ $V6NET = 1 ]; then
    # docker0 and the containers get IPv6 (a ULA, as Docker assigns one); the bridge ports stay
    # layer 2 only. The host routes IPv6 between eth0 and docker0.
    nsx "$NS_H" sysctl -qw net.ipv6.conf.docker0.disable_ipv6=0 net.ipv6.conf.all.forwarding=1
    ip -n "$NS_H" addr add $GW6/64 dev "$BR" nodad
    for c in 1 2; do
      if [ $c = 1 ]; then ip=$C1_6; cns=$NS_C1; else ip=$C2_6; cns=$NS_C2; fi
      nsx "$cns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 net.ipv6.conf.eth0.accept_ra=0 net.ipv6.conf.eth0.router_solicitations=0
      ip -n "$cns" addr add "$ip/64" dev eth0 nodad
      ip -n "$cns" -6 route add default via $GW6
    done
  fi

  if [ $ROUTED = 1 ]; then
    # The outside knows the container network is behind the host (in the lab's own namespace).
    ip -n "$NS_X" route add $NET16.0.0/16 via $HOST_IP
  fi

  nsx "$NS_H" sysctl -qw net.ipv4.ip_forward=1
  BRNF="unavailable"
  if nsx "$NS_H" test -w /proc/sys/net/bridge/bridge-nf-call-iptables; then
    nsx "$NS_H" sysctl -qw net.bridge.bridge-nf-call-iptables=1 || true
    BRNF="$(nsx "$NS_H" cat /proc/sys/net/bridge/bridge-nf-call-iptables)"
  fi
  if [ $NOPROXY = 1 ]; then
    # dockerd sets route_localnet on the bridge when the userland proxy is off.
    nsx "$NS_H" sysctl -qw "net.ipv4.conf.$BR.route_localnet=1"
  fi
}

# Published ports: hostPort containerIp containerPort [proto, default tcp]
PUBLISHED=("5000 $C1 5000")
case "$SCEN" in
  08-*) PUBLISHED=("5000 $C1 5000" "5001 $C2 5000") ;;
  09-*|09b-*) PUBLISHED=("5000 $C1 5000" "5002 $C1 5002") ;;
  10-*|10b-*) PUBLISHED=("53 $C1 53 udp") ;;
  # `-p 5005:53/udp` with nothing listening on UDP 53 in c1: the container answers ICMP port
  # unreachable; host and container port differ so the quoted header's translation shows.
  11-*) PUBLISHED=("5005 $C1 53 udp") ;;
esac

# Docker <= 27's rules for the default bridge (moby libnetwork setup_ip_tables.go,
# iptables.go ProgramChain/Forward). With hairpin mode (userland-proxy=false) dockerd drops
# the 127.0.0.0/8 exclusion from OUTPUT, the `-i docker0 -j RETURN` skip and the
# `! -i docker0` on each DNAT, and adds MASQUERADE from LOCAL.
# The filter table's chains and FORWARD's first rules, as Docker writes them in either family.
filter_head() {
  echo '*filter'
  echo ':INPUT ACCEPT [0:0]'; echo ':FORWARD DROP [0:0]'; echo ':OUTPUT ACCEPT [0:0]'
  echo ':DOCKER - [0:0]'; echo ':DOCKER-ISOLATION-STAGE-1 - [0:0]'
  echo ':DOCKER-ISOLATION-STAGE-2 - [0:0]'; echo ':DOCKER-USER - [0:0]'
  echo '-A FORWARD -j DOCKER-USER'
  echo '-A FORWARD -j DOCKER-ISOLATION-STAGE-1'
  echo "-A FORWARD -o $BR -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
}

write_rules() {
  local f="$WORK/rules" hp cip cp pr
  {
    echo '*nat'
    echo ':PREROUTING ACCEPT [0:0]'; echo ':INPUT ACCEPT [0:0]'; echo ':OUTPUT ACCEPT [0:0]'
    echo ':POSTROUTING ACCEPT [0:0]'; echo ':DOCKER - [0:0]'
    echo '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER'
    if [ $ROUTED = 1 ]; then
      # Docker 27's rules for a bridge in routed gateway mode (moby libnetwork
      # setup_ip_tables.go, gateway_mode routed): no MASQUERADE and no DNAT.
      echo '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER'
      echo "-A DOCKER -i $BR -j RETURN"
    else
      if [ $NOPROXY = 1 ]; then
        echo '-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER'
        echo "-A POSTROUTING -o $BR -m addrtype --src-type LOCAL -j MASQUERADE"
      else
        echo '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER'
      fi
      echo "-A POSTROUTING -s $NET16.0.0/16 ! -o $BR -j MASQUERADE"
      for m in "${PUBLISHED[@]}"; do
        read -r hp cip cp pr <<<"$m"; pr=${pr:-tcp}
        echo "-A POSTROUTING -s $cip/32 -d $cip/32 -p $pr -m $pr --dport $cp -j MASQUERADE"
      done
      [ $NOPROXY = 1 ] || echo "-A DOCKER -i $BR -j RETURN"
      for m in "${PUBLISHED[@]}"; do
        read -r hp cip cp pr <<<"$m"; pr=${pr:-tcp}
        if [ $NOPROXY = 1 ]; then
          echo "-A DOCKER -p $pr -m $pr --dport $hp -j DNAT --to-destination $cip:$cp"
        else
          echo "-A DOCKER ! -i $BR -p $pr -m $pr --dport $hp -j DNAT --to-destination $cip:$cp"
        fi
      done
    fi
    echo 'COMMIT'
    filter_head
    echo "-A FORWARD -o $BR -j DOCKER"
    echo "-A FORWARD -i $BR ! -o $BR -j ACCEPT"
    echo "-A FORWARD -i $BR -o $BR -j ACCEPT"
    for m in "${PUBLISHED[@]}"; do
      read -r hp cip cp pr <<<"$m"; pr=${pr:-tcp}
      echo "-A DOCKER -d $cip/32 ! -i $BR -o $BR -p $pr -m $pr --dport $cp -j ACCEPT"
    done
    if [ $ROUTED = 1 ]; then
      # Routed mode: ICMP is accepted from outside the bridge, anything else not published dropped.
      echo "-A DOCKER ! -i $BR -o $BR -p icmp -j ACCEPT"
      echo "-A DOCKER ! -i $BR -o $BR -j DROP"
    fi
    echo "-A DOCKER-ISOLATION-STAGE-1 -i $BR ! -o $BR -j DOCKER-ISOLATION-STAGE-2"
    echo '-A DOCKER-ISOLATION-STAGE-1 -j RETURN'
    echo "-A DOCKER-ISOLATION-STAGE-2 -o $BR -j DROP"
    echo '-A DOCKER-ISOLATION-STAGE-2 -j RETURN'
    # 20: a user's rule in DOCKER-USER (where Docker says to put them) that drops the published
    # container's replies on their way out: the SYN arrives, the SYN-ACK never leaves eth0.
    case "$SCEN" in 20-*) echo "-A DOCKER-USER -i $BR -o eth0 -p tcp -m tcp --sport 5000 -j DROP" ;; esac
    # 21: the same on the way in: the DNATed SYN is dropped before it reaches the bridge.
    case "$SCEN" in 21-*) echo "-A DOCKER-USER -i eth0 -o $BR -p tcp -m tcp --dport 5000 -j DROP" ;; esac
    echo '-A DOCKER-USER -j RETURN'
    echo 'COMMIT'
  } >"$f"
  nsx "$NS_H" iptables-restore <"$f"
  [ $IPV6 = 1 ] || return 0
  if [ $V6NET = 1 ]; then
    # An IPv6-enabled bridge: the same rules as IPv4 in ip6tables (moby setup_ip_tables.go with
    # ip6tables on), DNAT to the container's IPv6 address, MASQUERADE of the bridge's prefix.
    sed -e 's#172\.17\.0\.0/16#fd00:17::/64#g' -e 's#127\.0\.0\.0/8#::1/128#g' \
      -e "s#--to-destination $C1:\([0-9]*\)#--to-destination [$C1_6]:\1#g" \
      -e "s#-s $C1/32 -d $C1/32#-s $C1_6/128 -d $C1_6/128#g" -e "s#-d $C1/32#-d $C1_6/128#g" "$f" >"$f.v6"
    nsx "$NS_H" ip6tables-restore <"$f.v6"
    return 0
  fi
  # Docker >= 27 (ip6tables on by default) sets up its IPv6 chains even when the default bridge
  # has no IPv6 (derived from moby's setup_ip_tables.go): the jumps to DOCKER, no DNAT in it (no
  # container has an IPv6 address to translate to), the filter chains with the conntrack match
  # Docker's IPv4 rules have. That match is what makes this kernel track IPv6 connections (a nat
  # table alone did not), so conntrack lists the proxy's client side for derive-truth.py.
  {
    echo '*nat'
    echo ':PREROUTING ACCEPT [0:0]'; echo ':INPUT ACCEPT [0:0]'; echo ':OUTPUT ACCEPT [0:0]'
    echo ':POSTROUTING ACCEPT [0:0]'; echo ':DOCKER - [0:0]'
    echo '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER'
    echo '-A OUTPUT ! -d ::1/128 -m addrtype --dst-type LOCAL -j DOCKER'
    echo 'COMMIT'
    filter_head
    echo '-A DOCKER-ISOLATION-STAGE-1 -j RETURN'
    echo '-A DOCKER-ISOLATION-STAGE-2 -j RETURN'
    echo '-A DOCKER-USER -j RETURN'
    echo 'COMMIT'
  } >"$f.v6"
  nsx "$NS_H" ip6tables-restore <"$f.v6"
}

listening() { # listening <ns> <tcp|udp> <port>
  local flag=-Hltn; [ "$2" = udp ] && flag=-Hlun
  [ -n "$(nsx "$1" ss $flag "sport = :$3")" ]
}

start_servers() {
  local www="$WORK/www" c
  mkdir -p "$www"
  echo "hello from the natflow lab" >"$www/hello.txt"
  # 16: a download big enough for segmentation offloads (TSO/GSO, GRO) to shape the packets.
  head -c 131072 /dev/zero | tr '\0' 'n' >"$www/big.bin"
  # python3 -m http.server: the backlog of 5 is part of what scenario 08 records.
  # 17: dual-stack servers (:: takes IPv4 too), so the containers and the outside answer IPv6.
  local any=0.0.0.0; [ $V6NET = 1 ] && any=::
  bg "$NS_C1" "$OUT/server-c1.log" "$PY" -u -m http.server 5000 --bind $any --directory "$www"
  bg "$NS_C2" "$OUT/server-c2.log" "$PY" -u -m http.server 5000 --bind $any --directory "$www"
  bg "$NS_X" "$OUT/server-ext.log" "$PY" -u -m http.server 8080 --bind $any --directory "$www"
  bg "$NS_X" "$OUT/server-ext-udp.log" "$PY" -u "$LIB/udp-responder.py" 53
  wait_for 10 listening "$NS_C1" tcp 5000
  wait_for 10 listening "$NS_C2" tcp 5000
  wait_for 10 listening "$NS_X" tcp 8080
  wait_for 10 listening "$NS_X" udp 53
  if [ "${SCEN%%-*}" = 07 ]; then
    bg "$NS_H" "$OUT/server-host.log" "$PY" -u -m http.server 8000 --bind 127.0.0.1 --directory "$www"
    wait_for 10 listening "$NS_H" tcp 8000
  fi
  if [ "${SCEN%%-*}" = 10 ] || [ "${SCEN%%-*}" = 10b ]; then
    # The container's UDP service behind the published UDP port (the DNS-like responder of 03/04).
    bg "$NS_C1" "$OUT/server-c1-udp.log" "$PY" -u "$LIB/udp-responder.py" 53
    wait_for 10 listening "$NS_C1" udp 53
  fi
  if [ $NOPROXY = 0 ] && [ $ROUTED = 0 ]; then
    local hp cip cp pr
    # --snaplen: the TCP proxy logs each connection (socat -d -d: the client it accepted, the
    # local address it dialled the container from), so derive-truth.py can pair the two sides
    # when the snaplen cut the request's marker off. Without --snaplen the logs stay as they were.
    local SOCAT_LOG=(); [ -z "$SNAPLEN" ] || SOCAT_LOG=(-d -d)
    for m in "${PUBLISHED[@]}"; do
      read -r hp cip cp pr <<<"$m"; pr=${pr:-tcp}
      if [ "$pr" = udp ]; then
        # Stand-in for docker-proxy's UDP relay: each client datagram is handled by a child that
        # sends it from a new socket (172.17.0.1:<ephemeral>) and writes the reply back from the
        # host port; -T ends idle children as docker-proxy ages out its UDP mappings.
        bg "$NS_H" "$OUT/proxy-$hp.log" socat -T 5 "UDP4-RECVFROM:$hp,fork,reuseaddr" "UDP4-SENDTO:$cip:$cp"
      else
        # Stand-in for docker-proxy: accept on the host port, open a new connection to the container.
        bg "$NS_H" "$OUT/proxy-$hp.log" socat "${SOCAT_LOG[@]}" "TCP4-LISTEN:$hp,fork,reuseaddr" "TCP4:$cip:$cp"
        if [ $V6NET = 1 ]; then
          # The IPv6 binding's docker-proxy dials the container's IPv6 address.
          bg "$NS_H" "$OUT/proxy-$hp-ipv6.log" socat "${SOCAT_LOG[@]}" "TCP6-LISTEN:$hp,ipv6only=1,fork,reuseaddr" "TCP6:[$C1_6]:$cp"
        elif [ $IPV6 = 1 ]; then
          # dockerd binds a published port on :: too; a container without IPv6 is reached from
          # there only by a second docker-proxy (-host-ip :: -container-ip <its IPv4>), which
          # dials the container over IPv4 (moby/libnetwork c3fabc6, "Fix regression in docker-proxy").
          bg "$NS_H" "$OUT/proxy-$hp-ipv6.log" socat "${SOCAT_LOG[@]}" "TCP6-LISTEN:$hp,ipv6only=1,fork,reuseaddr" "TCP4:$cip:$cp"
        fi
      fi
      wait_for 10 listening "$NS_H" "$pr" "$hp"
    done
  fi
}

# ---------------------------------------------------------------- captures
CAP_IFACES=(lo "$BR" eth0 "$VETH_C1" "$VETH_C2")
SNAP_ARGS=(); [ -z "$SNAPLEN" ] || SNAP_ARGS=(-s "$SNAPLEN")
start_captures() {
  local i
  local promisc
  for i in "${CAP_IFACES[@]}"; do
    # 12: docker0 captured the way many people do, without -p. The bridge goes promiscuous for
    # every capture, and with hairpin mode the host routes the hairpin frames a second time.
    promisc=-p
    case "$SCEN" in 12-*) [ "$i" = docker0 ] && promisc= ;; esac
    bg "$NS_H" "$WORK/tcpdump-$i.err" tcpdump -Z root $promisc -U -n "${SNAP_ARGS[@]}" -i "$i" -w "$OUT/$i.pcap"
    CAP_PIDS+=($!)
  done
  bg "$NS_H" "$WORK/tcpdump-any.err" tcpdump -Z root -p -U -n "${SNAP_ARGS[@]}" -i any -w "$OUT/any.pcap"
  CAP_PIDS+=($!)
  # -p after each -i: no promiscuous mode (a promiscuous docker0 duplicates hairpin frames).
  # 14, 14b and 15b: the container ports too. Their conversations reach docker0 already translated,
  # and docker0 alone cannot tell which end is the container (captures/README.md).
  # -s N (--snaplen), like -p, is dumpcap's per-interface option: given after each -i.
  local ng=() i
  local ngif=(lo "$BR" eth0)
  case "$SCEN" in 14-*|14b-*|15b-*) ngif+=("$VETH_C1" "$VETH_C2") ;; esac
  for i in "${ngif[@]}"; do ng+=(-i "$i" -p "${SNAP_ARGS[@]}"); done
  bg "$NS_H" "$WORK/dumpcap.err" dumpcap -q "${ng[@]}" -w "$OUT/all.pcapng"
  CAP_PIDS+=($!)
  for i in "${CAP_IFACES[@]}" any; do
    wait_for 10 grep -q 'listening on' "$WORK/tcpdump-$i.err"
  done
  wait_for 10 grep -q "Capturing on" "$WORK/dumpcap.err"
  # dumpcap writes the section header and all IDBs once every interface is open.
  wait_for 10 test -s "$OUT/all.pcapng"
  bg "$NS_H" "$OUT/conntrack-events.txt" conntrack -E -o extended,timestamp
  CAP_PIDS+=($!)
  sleep 0.5
}

stop_captures() {
  local p
  for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  cat "$WORK"/tcpdump-*.err "$WORK/dumpcap.err" >"$OUT/capture-stats.txt" 2>/dev/null || true
  chmod 644 "$OUT"/*.pcap "$OUT"/*.pcapng
}

# ---------------------------------------------------------------- traffic
client() { local ns="$1"; shift; nsx "$ns" "$PY" -u "$LIB/nf-client.py" "$@" | tee -a "$OUT/client.log"; }

run_traffic() {
  case "$SCEN" in
    01-*) client "$NS_H" http 127.0.0.1 5000 "nf-$SNUM-c1" ;;
    02-*|20-*|21-*) client "$NS_X" http $HOST_IP 5000 "nf-$SNUM-c1" ;;
    03-*)
      client "$NS_C1" http $EXT_IP 8080 "nf-$SNUM-t1"
      client "$NS_C1" udp $EXT_IP 53 "nf-$SNUM-u1"
      client "$NS_C1" icmp $EXT_IP "nf-$SNUM-i1" --id 4242 --count 2 ;;
    04-*)
      # Same source port / echo id from two containers to the same destination: MASQUERADE
      # keeps the first and must remap the second (the first is still in conntrack).
      client "$NS_C1" http $EXT_IP 8080 "nf-$SNUM-t1" --bind-port 40000
      client "$NS_C2" http $EXT_IP 8080 "nf-$SNUM-t2" --bind-port 40000
      client "$NS_C1" udp $EXT_IP 53 "nf-$SNUM-u1" --bind-port 5353
      client "$NS_C2" udp $EXT_IP 53 "nf-$SNUM-u2" --bind-port 5353
      client "$NS_C1" icmp $EXT_IP "nf-$SNUM-i1" --id 4242
      client "$NS_C2" icmp $EXT_IP "nf-$SNUM-i2" --id 4242 ;;
    05a-*|05b-*|12-*) client "$NS_C1" http $HOST_IP 5000 "nf-$SNUM-c1" ;;
    13-*|13b-*)
      # `curl localhost:5000` on a dual-stack host tries ::1 first; then a remote IPv6 client.
      # 13b: without docker-proxy nothing listens on the host's IPv6 port 5000: both are refused.
      client "$NS_H" http ::1 5000 "nf-$SNUM-c1"
      client "$NS_X" http $HOST_IP6 5000 "nf-$SNUM-c2" ;;
    # A host process calling its own (non-loopback) address: DNAT in OUTPUT, nothing on lo.
    14-*|14b-*) client "$NS_H" http $HOST_IP 5000 "nf-$SNUM-c1" ;;
    # Another container (c2) calling c1's published port through the host's address.
    15a-*|15b-*) client "$NS_C2" http $HOST_IP 5000 "nf-$SNUM-c1" ;;
    # 128 KiB through DNAT from outside, then through the proxy from the host.
    18-*)
      # A compose-like user-defined network: the paths of 01, 02, 03 and 15a on br-<id>.
      client "$NS_H" http 127.0.0.1 5000 "nf-$SNUM-c1"
      client "$NS_X" http $HOST_IP 5000 "nf-$SNUM-c2"
      client "$NS_C1" http $EXT_IP 8080 "nf-$SNUM-c3"
      client "$NS_C2" http $HOST_IP 5000 "nf-$SNUM-c4" ;;
    17-*)
      # With IPv6 on the bridge: localhost over ::1 (the proxy, now to the container's IPv6
      # address), a remote IPv6 client (DNAT, its address kept), the container calling out (MASQUERADE).
      client "$NS_H" http ::1 5000 "nf-$SNUM-c1"
      client "$NS_X" http $HOST_IP6 5000 "nf-$SNUM-c2"
      client "$NS_C1" http $EXT_IP6 8080 "nf-$SNUM-c3" ;;
    16-*)
      client "$NS_X" http $HOST_IP 5000 "nf-$SNUM-c1" --path /big.bin
      client "$NS_H" http 127.0.0.1 5000 "nf-$SNUM-c2" --path /big.bin ;;
    06-*) client "$NS_H" http 127.0.0.1 5000 "nf-$SNUM-c1" ;;
    07-*) client "$NS_H" http 127.0.0.1 8000 "nf-$SNUM-c1" ;;
    08-*)
      local p=() d=() i port
      for i in $(seq 1 50); do
        port=$((5000 + (i % 2)))
        p+=("127.0.0.1:$port:nf-$SNUM-p$i")
        d+=("$HOST_IP:$port:nf-$SNUM-d$i")
      done
      # Two clients at once, 5 ms apart each and offset by 2.5 ms: proxy and DNAT interleave.
      nsx "$NS_H" "$PY" -u "$LIB/nf-client.py" many "${p[@]}" --gap 0.005 >"$WORK/many-p.log" &
      local pp=$!; PIDS+=($pp)
      nsx "$NS_X" "$PY" -u "$LIB/nf-client.py" many "${d[@]}" --gap 0.005 --offset 0.0025 >"$WORK/many-d.log" &
      local pd=$!; PIDS+=($pd)
      wait $pp; wait $pd
      cat "$WORK/many-p.log" "$WORK/many-d.log" >>"$OUT/client.log" ;;
    09-*|09b-*)
      client "$NS_H" http 127.0.0.1 5002 "nf-$SNUM-c1"
      client "$NS_X" http $HOST_IP 5002 "nf-$SNUM-c2" --bind-port 40902 ;;
    10-*|10b-*)
      # Three queries, each from a new client socket: three lo flows, three proxy dials (10b:
      # DNAT in OUTPUT and MASQUERADE, nothing on lo, the answers reverse-NATed on docker0).
      client "$NS_H" udp 127.0.0.1 53 "nf-$SNUM-u1"
      client "$NS_H" udp 127.0.0.1 53 "nf-$SNUM-u2"
      client "$NS_H" udp 127.0.0.1 53 "nf-$SNUM-u3" ;;
    19-*)
      # Routed, no NAT: the outside calls the container's own address; the container calls out
      # with it (the server's log shows 172.17.0.2).
      client "$NS_X" http $C1 5000 "nf-$SNUM-c1"
      client "$NS_C1" http $EXT_IP 8080 "nf-$SNUM-c2" ;;
    11-*)
      # From outside, so kernel DNAT (not the proxy) carries it; a connected socket so the
      # client is told of the ICMP error (ECONNREFUSED) instead of waiting for its timeout.
      client "$NS_X" udp $HOST_IP 5005 "nf-$SNUM-u1" --bind-port 40911 --connect ;;
  esac
}

# ---------------------------------------------------------------- side files
save_state() {
  nsx "$NS_H" conntrack -L -o extended >"$OUT/conntrack.txt" 2>"$WORK/ct.err" || true
  nsx "$NS_H" conntrack -L -o extended --status UNREPLIED >"$OUT/conntrack-unreplied.txt" 2>/dev/null ||
    nsx "$NS_H" conntrack -L -o extended 2>/dev/null | grep UNREPLIED >"$OUT/conntrack-unreplied.txt" || true
  nsx "$NS_H" conntrack -L -o extended --src-nat >"$OUT/conntrack-snat.txt" 2>/dev/null || true
  nsx "$NS_H" conntrack -L -o extended --dst-nat >"$OUT/conntrack-dnat.txt" 2>/dev/null || true
  nsx "$NS_H" conntrack -S >"$OUT/conntrack-stats.txt" 2>/dev/null || true
  nsx "$NS_H" iptables-save -c >"$OUT/iptables-save.txt"
  [ $IPV6 = 0 ] || nsx "$NS_H" ip6tables-save -c >"$OUT/ip6tables-save.txt"
}

save_topology() {
  nsx "$NS_H" ip -o link >"$OUT/ip-link.txt"
  nsx "$NS_H" ip -j link >"$OUT/ip-link.json"
  {
    for ns in "${ALL_NS[@]}"; do
      echo "# ${ns#$ID-}"
      nsx "$ns" ip -o -4 addr
      nsx "$ns" ip -4 route | sed 's/^/route /'
      if [ $IPV6 = 1 ]; then
        nsx "$ns" ip -o -6 addr
        nsx "$ns" ip -6 route | sed 's/^/route /'
      fi
    done
  } >"$OUT/addresses.txt"
  if [ $IPV6 = 1 ]; then nsx "$NS_H" ip -j addr; else nsx "$NS_H" ip -j -4 addr; fi >"$WORK/host-addr.json"
  local pub="" hp cip cp pr sep=""
  for m in "${PUBLISHED[@]}"; do
    read -r hp cip cp pr <<<"$m"; pr=${pr:-tcp}
    pub+="$sep{\"hostPort\":$hp,\"containerIp\":\"$cip\",\"containerPort\":$cp,\"proto\":\"$pr\"}"; sep=","
  done
  NF_BR="$BR" NF_NET16="$NET16" NF_MACNET="$MACNET" NF_SNAPLEN="$SNAPLEN" "$PY" - "$OUT" "$SCEN" "$NOPROXY" "$BRNF" "$WORK/host-addr.json" "$pub" \
    "$VETH_C1" "$VETH_C2" "$NS_H" <<'PYEOF'
import json, os, platform, subprocess, sys
out, scen, noproxy, brnf, addrfile, pub, v1, v2, nsh = sys.argv[1:]
br, net16, macnet = os.environ['NF_BR'], os.environ['NF_NET16'], os.environ['NF_MACNET']
def ver(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception as e:
        return 'unavailable: %s' % e
links = json.load(open(os.path.join(out, 'ip-link.json')))
def sysctl(name):
    r = subprocess.run(['ip', 'netns', 'exec', nsh, 'sysctl', '-n', name], capture_output=True, text=True)
    return r.stdout.strip() or None
meta = {
    'schema': 'natflow-capture-meta/1',
    'scenario': scen,
    # 19: a routed network, no NAT and no docker-proxy.
    'mode': 'routed' if scen.startswith('19-') else 'no-proxy' if noproxy == '1' else 'userland-proxy',
    # --snaplen N: every capture keeps N bytes of a frame (absent: tcpdump's and dumpcap's maximum).
    **({'snaplen': int(os.environ['NF_SNAPLEN'])} if os.environ.get('NF_SNAPLEN') else {}),
    'dockerRulesModel': 'docker 27 bridge, gateway_mode_ipv4=routed' if scen.startswith('19-') else 'docker<=27 default bridge' if br == 'docker0' else 'docker<=27 user-defined bridge',
    'kernel': platform.release(),
    'tools': {
        'tcpdump': ver(['tcpdump', '--version']),
        'dumpcap': ver(['dumpcap', '--version']),
        'socat': next((l.strip() for l in subprocess.run(['socat', '-V'], capture_output=True, text=True).stdout.splitlines()
                       if 'socat version' in l), 'unknown'),
        'conntrack': ver(['conntrack', '--version']),
        'iptables': ver(['iptables', '--version']),
        'iproute2': ver(['ip', '-V']),
        'python3': platform.python_version(),
    },
    'sysctl': {
        'net.bridge.bridge-nf-call-iptables': brnf,
        'bridgeNfPerNetns': True if brnf in ('0', '1') else None,
        'net.ipv4.ip_forward': sysctl('net.ipv4.ip_forward'),
        'net.ipv4.conf.%s.route_localnet' % br: sysctl('net.ipv4.conf.%s.route_localnet' % br),
        'net.ipv4.conf.lo.route_localnet': sysctl('net.ipv4.conf.lo.route_localnet'),
    },
    'hairpinMode': noproxy == '1',
    # Interfaces captured without -p (promiscuous): 12 records docker0 that way on purpose.
    'promiscuousCaptures': ['docker0'] if scen.startswith('12-') else [],
    'userlandProxy': None if noproxy == '1' or scen.startswith('19-') else '; '.join(
        'socat -T 5 UDP4-RECVFROM:<hostPort>,fork,reuseaddr UDP4-SENDTO:<containerIp>:<containerPort>' if p == 'udp'
        else 'socat TCP4-LISTEN:<hostPort>,fork,reuseaddr TCP4:<containerIp>:<containerPort>' + (
            '; socat TCP6-LISTEN:<hostPort>,ipv6only=1,fork,reuseaddr TCP4:<containerIp>:<containerPort>'
            if scen.startswith('13-') else '')
        for p in sorted({m['proto'] for m in json.loads('[' + pub + ']')})),
    'published': json.loads('[' + pub + ']'),
    'hostAddresses': [{'ifname': l['ifname'], 'address': a['local'], 'prefixlen': a['prefixlen']}
                      for l in json.load(open(addrfile)) for a in l.get('addr_info', []) if a.get('scope') != 'link'],
    'containers': [
        dict({'name': 'c1', 'ip': net16 + '.0.2', 'mac': '02:42:%s:00:02' % macnet, 'bridgePort': v1},
             **({'ip6': 'fd00:17::2'} if scen.startswith('17-') else {})),
        dict({'name': 'c2', 'ip': net16 + '.0.3', 'mac': '02:42:%s:00:03' % macnet, 'bridgePort': v2},
             **({'ip6': 'fd00:17::3'} if scen.startswith('17-') else {})),
    ],
    'external': {'name': 'ext', 'ip': '198.18.0.2', 'httpPort': 8080, 'udpPort': 53,
                 **({'ip6': '2001:db8:18::2'} if scen.startswith(('13-', '13b-', '17-')) else {})},
    'interfaces': {str(l['ifindex']): l['ifname'] for l in links},
    'captures': {
        'perInterface': {n: n + '.pcap' for n in ['lo', br, 'eth0', v1, v2]},
        'any': 'any.pcap',
        'pcapng': 'all.pcapng',
    },
    'pcapngInterfaces': ['lo', br, 'eth0'] + ([v1, v2] if scen.startswith(('14-', '14b-', '15b-')) else []),
    # The bridge the containers hang off: docker0, or a user-defined network's br-<id> (18).
    'bridge': br,
}
json.dump(meta, open(os.path.join(out, 'meta.json'), 'w'), indent=2)
open(os.path.join(out, 'meta.json'), 'a').write('\n')
PYEOF
}

# ---------------------------------------------------------------- run
T0=$SECONDS
echo "record.sh: $SCEN ($([ $ROUTED = 1 ] && echo routed || { [ $NOPROXY = 1 ] && echo no-proxy || echo userland-proxy; })${SNAPLEN:+, snaplen $SNAPLEN}) -> $OUT" >&2
: >"$OUT/client.log"
build_lab
write_rules
start_servers
start_captures
run_traffic
sleep 1          # let FINs and late replies land
save_state       # conntrack right after the traffic, before entries expire
sleep 0.3
stop_captures
save_topology
# Captures are the deliverable: meta.json says where everything came from; the logs of the
# servers only add evidence (which source address each server saw).
"$PY" "$LIB/derive-truth.py" "$OUT"
echo "record.sh: $SCEN done in $((SECONDS - T0)) s, $(du -sk "$OUT" | cut -f1) KB" >&2
