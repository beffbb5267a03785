#!/bin/bash
#
# Block storage (bundles/storage), each figure beside its baseline measured in the same run:
#   nbd    sequential 1 MiB reads and writes through nbdcopy: vmlab's NBD server vs qemu-nbd on the
#          same file (goal >= 0.8x)
#   evac   a disk written by a workload (random 4 KiB, 90% to a hot 5%), evacuated over an emulated
#          WAN (vmlab's WanLink): no pre-caching (baseline) vs recency vs all (goal >= 97.5% less
#          time), and QEMU's blockdev-mirror over the same link; every disk compared bit for bit
#   io     guest write throughput while pre-caching runs vs none (goal <= 5% lower)
#   link   vmlab's WanLink against the kernel: tc netem (delay + rate) in a network namespace where
#          the kernel has sch_netem, else tc tbf (rate only) and nbdkit's delay filter (latency)
#
#   bench/storage.sh [nbd|evac|io|link|all] [DISK_MIB]   (default all, DISK_MIB 8192; needs
#   mvn -B install -DskipTests first; link needs root for the network namespace)
# WAN: RATE (default 100m) and RTT_MS (default 150) from the environment.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
WHAT=${1:-all}
DISK_MIB=${2:-8192}
RATE=${RATE:-100m}
RTT_MS=${RTT_MS:-150}
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
cd "$ROOT/bench"
mvn -B -q ${VMLAB_MAVEN_OPTS:-} package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
CP="target/classes:$(cat target/classpath.txt)"
bench() { "$JAVA" -Xmx2g -cp "$CP" org.vmlab.bench.storage.StorageBench "$@"; }

WORK=$(mktemp -d /tmp/vmlab-storage-bench.XXXXXX)
PIDS=()
NS=""
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -n "$NS" ]; then ip link del "vsb-h$$" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# nbdcopy of SIZE MiB from URI to null: with REQUESTS in flight of REQ bytes; prints seconds.
copy_time() {
    local uri=$1 req=$2 requests=$3
    local t0 t1
    t0=$(date +%s.%N)
    nbdcopy --connections=1 --request-size="$req" --requests="$requests" "$uri" null:
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}'
}

# A WanLink (RATE, RTT_MS) in front of 127.0.0.1:$1, its port in $RELAY_PORT. It runs until its
# stdin (a FIFO this shell holds open) closes, and is killed by pid at exit.
relay() {
    local out=$WORK/relay-$1.port fifo=$WORK/relay-$1.in fd
    mkfifo "$fifo"
    "$JAVA" -Xmx256m -cp "$CP" org.vmlab.bench.storage.StorageBench relay "$RATE" "$RTT_MS" "$1" < "$fifo" > "$out" &
    PIDS+=($!)
    exec {fd}> "$fifo"
    for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
    RELAY_PORT=$(head -1 "$out")
}

link() {
    command -v nbdcopy >/dev/null && command -v qemu-nbd >/dev/null || { echo "link: skipped (needs nbdcopy, qemu-nbd)"; return; }
    local img=$WORK/link.img small=$WORK/link-small.img
    head -c $((64 << 20)) /dev/urandom > "$img"
    head -c $((8 << 20)) /dev/urandom > "$small"
    local lport=$((20000 + $$ % 20000))
    # Two exports: 8 MiB read with 1 request of 64 KiB in flight (latency-bound), 64 MiB with 64 of
    # 1 MiB (rate-bound).
    qemu-nbd -f raw -x d -b 127.0.0.1 -p "$lport" -t -r "$img" & PIDS+=($!)
    qemu-nbd -f raw -x d -b 127.0.0.1 -p $((lport + 2)) -t -r "$small" & PIDS+=($!)
    sleep 1
    relay "$lport"
    local big_port=$RELAY_PORT
    relay $((lport + 2))
    local w1 w64
    w1=$(copy_time "nbd://127.0.0.1:$RELAY_PORT/d" 65536 1)
    w64=$(copy_time "nbd://127.0.0.1:$big_port/d" 1048576 64)
    echo "link: WanLink $RATE/${RTT_MS}ms via nbdcopy: 8 MiB with 1 request of 64 KiB in flight ${w1} s; 64 MiB with 64 requests of 1 MiB ${w64} s"
    awk -v r="$RATE" -v rtt="$RTT_MS" 'BEGIN { m = r + 0; if (r ~ /m$/) m *= 1e6; if (r ~ /g$/) m *= 1e9;
        printf "link: model: 1 in flight %.1f s (128 round trips + serialization), pipelined %.1f s (rate-bound)\n",
        128 * (rtt / 1000 + 65536 * 8 / m), 64 * 1048576 * 8 / m + rtt / 1000 }'
    if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then echo "link: kernel comparison skipped (needs root and ip)"; return; fi
    NS=vsb-$$
    ip netns add "$NS"
    ip link add "vsb-h$$" type veth peer name "vsb-n$$"
    ip link set "vsb-n$$" netns "$NS"
    ip addr add 10.239.77.1/24 dev "vsb-h$$"; ip link set "vsb-h$$" up
    ip netns exec "$NS" ip addr add 10.239.77.2/24 dev "vsb-n$$"
    ip netns exec "$NS" ip link set "vsb-n$$" up; ip netns exec "$NS" ip link set lo up
    local half=$((RTT_MS / 2)) kind
    local rate_tc=${RATE/m/mbit}; rate_tc=${rate_tc/g/gbit}
    if tc qdisc add dev "vsb-h$$" root netem delay "${half}ms" rate "$rate_tc" limit 100000 2>/dev/null; then
        ip netns exec "$NS" tc qdisc add dev "vsb-n$$" root netem delay "${half}ms" rate "$rate_tc" limit 100000
        kind="tc netem delay ${half}ms rate $rate_tc each way"
    else
        tc qdisc add dev "vsb-h$$" root tbf rate "$rate_tc" burst 64kb latency 500ms
        ip netns exec "$NS" tc qdisc add dev "vsb-n$$" root tbf rate "$rate_tc" burst 64kb latency 500ms
        kind="tc tbf rate $rate_tc each way (this kernel has no sch_netem: rate only, no delay)"
    fi
    ip netns exec "$NS" qemu-nbd -f raw -x d -b 10.239.77.2 -p 10809 -t -r "$img" & PIDS+=($!)
    ip netns exec "$NS" qemu-nbd -f raw -x d -b 10.239.77.2 -p 10810 -t -r "$small" & PIDS+=($!)
    sleep 1
    local k1 k64
    k1=$(copy_time "nbd://10.239.77.2:10810/d" 65536 1)
    k64=$(copy_time "nbd://10.239.77.2:10809/d" 1048576 64)
    echo "link: kernel ($kind): 8 MiB with 1 request in flight ${k1} s; 64 MiB with 64 requests ${k64} s (the reference)"
    if command -v nbdkit >/dev/null; then
        local kport=$((lport + 1))
        nbdkit -f -i 127.0.0.1 -p "$kport" --filter=delay --filter=rate file "$small" rate="${RATE/m/M}" \
            delay-read="${RTT_MS}ms" & PIDS+=($!)
        sleep 1
        local d1
        d1=$(copy_time "nbd://127.0.0.1:$kport" 65536 1)
        echo "link: nbdkit delay-read=${RTT_MS}ms + rate=$RATE (per-request latency reference): 8 MiB with 1 request in flight ${d1} s"
    fi
}

case $WHAT in
    nbd) bench nbd 1024 3 ;;
    evac) bench evac "$DISK_MIB" "$RATE" "$RTT_MS" ;;
    io) bench io 20 "$RATE" "$RTT_MS" ;;
    link) link ;;
    all) link; bench nbd 1024 3; bench io 20 "$RATE" "$RTT_MS"; bench evac "$DISK_MIB" "$RATE" "$RTT_MS" ;;
    *) echo "Error: bench/storage.sh [nbd|evac|io|link|all] [DISK_MIB]" >&2; exit 2 ;;
esac
