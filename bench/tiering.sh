#!/bin/bash
# Memory tiering bench (bench/README.md, "bench/tiering.sh"). Needs `mvn -B install -DskipTests`
# first (VMLAB_MVN_ARGS passes extra Maven arguments, e.g. -o), and Debian's memcached and libmemcached-tools (memcaslap).
#   bench/tiering.sh [--quick] [--only 1|2|3]
# 1. NVM emulator: calibration; the accuracy table (reads and write-backs at 200..1000 ns, and a
#    symmetric model's write-back rows) in a DRAM-sized and an L1-sized buffer; shared bandwidth.
# 2. KVS throughput and latency: vmlab's server in dram-only mode against memcached 1.6, same box,
#    same clients (KvsLoad with HdrHistogram, then memcaslap), same key/value mix, alternating runs.
# 3. Dual-LRU against nvm-only at the same total capacity, Zipf keys; memcached with extstore as the
#    production anchor of a second tier.
# Every server binds 127.0.0.1 on a free port and is stopped by pid at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
QUICK=0; ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --only) ONLY=$2; shift ;;
        *) echo "Error: unknown argument '$1' (bench/tiering.sh [--quick] [--only 1|2|3])" >&2; exit 2 ;;
    esac
    shift
done
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
for tool in memcached memcaslap; do
    command -v $tool >/dev/null || { echo "Error: $tool is not installed (apt-get install memcached libmemcached-tools)" >&2; exit 2; }
done
cd "$ROOT/bench"
mvn -B -q ${VMLAB_MVN_ARGS:-} package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
CP="target/classes:$(cat target/classpath.txt)"
WORK=$(mktemp -d /tmp/vmlab-tiering-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 300); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.1; done; echo "Error: nothing listens on $1" >&2; return 1; }
start_memcached() { # port, extra args...
    local port=$1; shift
    memcached -l 127.0.0.1 -p "$port" -U 0 -t 4 -u root "$@" & PIDS+=($!); LAST=$!
    wait_port "$port"
}
start_vmlab() { # port, options...
    local port=$1; shift
    "$JAVA" -Xmx1g -cp "$CP" org.vmlab.bench.KvsServerMain "$WORK/data" port="$port" threads=4 "$@" > "$WORK/kvs-$port.log" 2>&1 &
    PIDS+=($!); LAST=$!
    wait_port "$port"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
load() { # label port conns secs keys value getratio dist [prefill]
    local label=$1; shift
    "$JAVA" -Xmx1g -cp "$CP" org.vmlab.bench.KvsLoad 127.0.0.1 "$@" | sed "s|^127.0.0.1:[0-9]*|$label|"
}
caslap() { # label port secs
    echo "$1 $(memcaslap -s 127.0.0.1:$2 -T 2 -c 16 -t "$3"s -X 1024 2>&1 | grep -E '^Run time' | sed 's/Run time: //')"
}

if part 1; then
echo "== 1. NVM emulator ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
HOPS=1000000; [ $QUICK = 1 ] && HOPS=200000
"$JAVA" -Xmx1g -cp "$CP" org.vmlab.bench.TieringBench "$WORK/data" "$HOPS"
fi

SECS=10; KEYS=10000; [ $QUICK = 1 ] && SECS=4
if part 2; then
echo
echo "== 2. KVS: vmlab dram-only against memcached $(memcached -V | cut -d' ' -f2), 16 connections, $KEYS keys of 1 KiB, 90% get, uniform, ${SECS} s after 1 s warm-up"
P1=$(free_port); start_memcached "$P1" -m 64; MC=$LAST
P2=$(free_port); start_vmlab "$P2" mode=dram-only dram=64m; VM=$LAST
load "memcached (prefill)" "$P1" 16 1 $KEYS 1024 0.9 uniform prefill > /dev/null
load "vmlab (prefill)" "$P2" 16 1 $KEYS 1024 0.9 uniform prefill > /dev/null
for round in 1 2; do
    load "memcached, KvsLoad, run $round" "$P1" 16 $SECS $KEYS 1024 0.9 uniform
    load "vmlab dram-only, KvsLoad, run $round" "$P2" 16 $SECS $KEYS 1024 0.9 uniform
done
for round in 1 2; do
    caslap "memcached, memcaslap, run $round:" "$P1" $SECS
    caslap "vmlab dram-only, memcaslap, run $round:" "$P2" $SECS
done
stop $MC; stop $VM
fi

ZKEYS=300000; [ $QUICK = 1 ] && ZKEYS=150000
if part 3; then
echo
echo "== 3. Dual-LRU against nvm-only, same total capacity (64 MiB DRAM + 512 MiB NVM = 576 MiB), optane-dcpmm,"
echo "     $ZKEYS keys of 1 KiB (about $((ZKEYS * 1100 / 1048576)) MiB with headers), Zipf 0.99, 90% get, 16 connections, ${SECS} s"
# optane-dcpmm: the paper's device. A far tier 50x slower (read 20 us, write-back 40 us: memory
# across a fabric) shows the Dual-LRU's effect where the media, not the network path, dominates.
for model in optane-dcpmm read=20us,write=40us; do
    for mode in dual-lru nvm-only; do
        P=$(free_port)
        if [ $mode = dual-lru ]; then start_vmlab "$P" mode=dual-lru dram=64m nvm=512m nvm-model=$model
        else start_vmlab "$P" mode=nvm-only nvm=576m nvm-model=$model; fi
        S=$LAST
        load "vmlab $mode (prefill)" "$P" 16 1 $ZKEYS 1024 0.9 zipf prefill > /dev/null
        load "vmlab $mode, $model" "$P" 16 $SECS $ZKEYS 1024 0.9 zipf
        load "vmlab $mode, $model, again" "$P" 16 $SECS $ZKEYS 1024 0.9 zipf
        stop $S
    done
done
P=$(free_port); start_memcached "$P" -m 64 -o ext_path="$WORK/extstore:1g",ext_item_age=0; S=$LAST
load "memcached + extstore (prefill)" "$P" 16 1 $ZKEYS 1024 0.9 zipf prefill > /dev/null
load "memcached -m 64 + extstore 1g" "$P" 16 $SECS $ZKEYS 1024 0.9 zipf
stop $S
fi
echo
echo "(latencies in us; peak = the fullest 5 us bucket of the latency histogram; wrong = values that did not match their key)"
