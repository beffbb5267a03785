#!/bin/sh
#
# vmlab precopy against QEMU's own migration on the same real QEMU guest (bench/README.md):
# one 512 MiB guest of vmlab's image (guest/build.sh) running the memory workload (256 MiB working
# set, uniform rewrites at 32 MiB/s), migrated back and forth on this node through bin/vmlab, each
# migration at 1 Gbit/s with a 300 ms downtime limit and --verify, in turn:
#   precopy --ordering sequential, qemu-native, precopy --ordering update-history,
#   precopy --ordering sequential --option switchover=threshold (QEMU's switchover rule)   (REPS times),
# after one vmlab migration that warms the JVM up and is not counted.
# Prints one table, medians over the verified runs of each engine/ordering: total time, downtime,
# MiB on the network, rounds, verified runs, and ratios against qemu-native (the baseline).
# Runs that fail their verification (QEMU under TCG has been seen to miss pages) count as failed;
# the guest then keeps running on the source and the next migration starts from there.
#
#   bench/qemu.sh [--quick]   (--quick: 1 run each; needs a built karaf-dist and guest image)
#
# Writes the table, every JSON report and the commands to run/bench/qemu-<time>/.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
REPS=3
for arg in "$@"; do
    case "$arg" in
        --quick) REPS=1 ;;
        -h|--help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "Error: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done
MEMORY=512M; WORKING_SET=256M; WRITE_RATE=32M; RATE=1g; DOWNTIME_LIMIT=300
ARCHIVE=$(ls "$ROOT"/karaf-dist/target/vmlab-dist-*.tar.gz 2>/dev/null | head -n 1 || true)
[ -n "$ARCHIVE" ] || { echo "Error: build first (mvn -B install -DskipTests)" >&2; exit 2; }
IMAGE="$ROOT/guest/target/image"
[ -f "$IMAGE/initramfs.img" ] || { echo "Error: no guest image in $IMAGE (guest/build.sh makes it)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo "Error: qemu-system-x86_64 not found (apt-get install qemu-system-x86)" >&2; exit 2; }
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
TOOLS=$(mktemp -d)
"${JAVA_HOME:+$JAVA_HOME/bin/}javac" -d "$TOOLS" "$ROOT/tools/Reports.java"
R() { "$JAVA" -cp "$TOOLS" Reports "$@"; }

OUT="$ROOT/run/bench/qemu-$(date +%Y%m%d-%H%M%S)"
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)
mkdir -p "$OUT"
WORK=$(mktemp -d)
# Guest RAM files on tmpfs when there is one (the backend maps them; a disk file would add writeback).
if [ -d /dev/shm ] && [ -w /dev/shm ]; then RUNDIR=$(mktemp -d -p /dev/shm vmlab-qbench.XXXXXX); else RUNDIR="$WORK/q"; fi
D="$WORK/d"
log() { echo "bench: $*" >&2; }
instance_pids() {
    { [ -f "$D/karaf.pid" ] && cat "$D/karaf.pid"; pgrep -f -- "-Dkaraf.home=$D( |\$)" 2>/dev/null; } | sort -u |
        while read -r p; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"; done || true
}
qemu_pids() { pgrep -f -- "qemu-system.*($RUNDIR|$D)" 2>/dev/null || true; }
cleanup() {
    set +e
    if [ -x "$D/bin/stop" ]; then
        if [ -n "$(instance_pids)" ] || "$D/bin/status" >/dev/null 2>&1; then
            for v in $VM $VM-incoming; do "$D/bin/vmlab" vm:destroy "$v" >/dev/null 2>&1; done
        fi
        "$D/bin/stop" >/dev/null 2>&1
        # bin/stop returns before the JVM has gone: wait for it by pid (bounded), then TERM, then KILL.
        i=0; while { [ -n "$(instance_pids)" ] || "$D/bin/status" >/dev/null 2>&1; } && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        for p in $(instance_pids); do log "instance pid $p still up after 30 s, TERM"; kill "$p"; done
        i=0; while [ -n "$(instance_pids)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        for p in $(instance_pids); do log "instance pid $p still up, KILL"; kill -9 "$p"; done
    fi
    left=$(qemu_pids)
    if [ -n "$left" ]; then
        echo "Error: QEMU processes of this instance left after stop: $left (killing them)" >&2
        for p in $left; do kill -9 "$p"; done
        STATUS=1
    fi
    # A last log line can land while the folder goes: try again once.
    rm -rf "$WORK" "$TOOLS" "$RUNDIR" 2>/dev/null || { sleep 1; rm -rf "$WORK" "$TOOLS" "$RUNDIR"; }
    exit "${STATUS:-0}"
}
VM=bench-qemu
STATUS=""
trap 'STATUS=${STATUS:-$?}; cleanup' EXIT
trap 'STATUS=130; exit 130' INT TERM
mkdir -p "$WORK/u" && tar xzf "$ARCHIVE" -C "$WORK/u" && mv "$WORK"/u/vmlab-dist-* "$D"
# Its own receiver port, so that it never meets another instance's.
printf 'host = 127.0.0.1\nport = 7331\n' > "$D/etc/org.vmlab.transport.cfg"
printf 'imageDir = %s\nrunDir = %s\n' "$IMAGE" "$RUNDIR" > "$D/etc/org.vmlab.qemu.cfg"
V="$D/bin/vmlab"
vm() { echo "\$ bin/vmlab $*" >> "$OUT/commands.txt"; "$V" "$@"; }
field() { R get "$1" "$2"; }
lower() { tr '[:upper:]' '[:lower:]'; }

log "creating a $MEMORY QEMU guest (memory workload, working-set=$WORKING_SET, rate=$WRITE_RATE) ..."
vm vm:create --backend qemu --memory "$MEMORY" --vcpus 1 --workload memory --param "working-set=$WORKING_SET" \
    --param "rate=$WRITE_RATE" "$VM" >/dev/null
# The accelerator the backend chose (KVM or TCG), from the guest's QEMU command line.
ACCEL=$(for p in $(qemu_pids); do tr '\0' ' ' < "/proc/$p/cmdline"; done | sed -n 's/.*accel=\([a-z]*\).*/\1/p' | head -n 1)
# vm:create returns at the guest's "ready" line; the workload then touches its whole working set
# once. Migrations start only after that ("start pages=" on the console) and a few seconds of rewrites.
waited=0
until grep -qs "start pages=" "$RUNDIR"/*/console.log; do
    sleep 1; waited=$((waited + 1))
    [ $waited -lt 300 ] || { echo "Error: the guest's workload did not start within 300 s" >&2; exit 1; }
done
grep -h "start pages=" "$RUNDIR"/*/console.log | tail -n 1 | sed 's/^/bench: guest: /' >&2
sleep 5

# One migration of the guest from wherever it runs; the guest moves only when it completed.
cur=$VM
n=0
migrate() { # label engine [ordering [option]]
    n=$((n + 1))
    f="$OUT/$(printf %02d $n)-$1.json"
    label=$1; engine=$2; ordering=${3:-}; option=${4:-}
    set -- migration:start --engine "$engine"
    [ -z "$ordering" ] || set -- "$@" --ordering "$ordering"
    [ -z "$option" ] || set -- "$@" --option "$option"
    vm "$@" --rate "$RATE" --downtime-limit "$DOWNTIME_LIMIT" --verify --json "$cur" > "$f" 2> "$f.err" || true
    set -- "$label"
    status=$(field "$f" status 2>/dev/null | lower || true)
    verified=$(field "$f" verified 2>/dev/null | lower || true)
    if [ "$status" = completed ] && [ "$verified" = passed ]; then
        echo "$f" >> "$OUT/ok-$1.txt"
        case "$cur" in *-incoming) cur=$VM ;; *) cur=$VM-incoming ;; esac
        log "  $1: $(field "$f" totalTimeMs) ms total, $(field "$f" downtimeMs) ms downtime, verified"
    else
        echo "$f" >> "$OUT/failed-$1.txt"
        reason=$(field "$f" failureReason 2>/dev/null || head -n 1 "$f.err")
        log "  $1: FAILED ($status/$verified): $reason"
        # The source keeps running after a failed migration; without it there is nothing to go on with.
        vm vm:info --json "$cur" > "$OUT/after-failure-$n.json" 2>&1 ||
            { echo "Error: after a failed migration the guest is not on $cur any more" >&2; exit 1; }
    fi
    sleep 2
}
# The first migration in a fresh JVM also compiles vmlab's data path (setup ~0.5 s longer here);
# QEMU's own migration is native code. So one vmlab migration warms up first and is not counted.
log "warm-up migration (not counted) ..."
migrate warm-up precopy sequential
for i in $(seq "$REPS"); do
    log "round trip $i of $REPS ..."
    migrate precopy-sequential precopy sequential
    migrate qemu-native qemu-native
    migrate precopy-update-history precopy update-history
    migrate precopy-threshold precopy sequential switchover=threshold
done
vm vm:verify --json "$cur" > "$OUT/final-verify.json" || true
[ "$(field "$OUT/final-verify.json" passed)" = true ] || { echo "Error: the guest does not verify after its migrations" >&2; exit 1; }
vm vm:destroy "$cur" >/dev/null

# ---- table ---------------------------------------------------------------------------------------
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
med() { # label field [divisor, printf format]
    [ -f "$OUT/ok-$1.txt" ] || { echo n/a; return; }
    while read -r f; do field "$f" "$2"; done < "$OUT/ok-$1.txt" |
        awk -v d="${3:-1}" '{print $1 / d}' | median | awk -v fmt="${4:-%.0f}" '$1 == "n/a" {print; next} {printf fmt "\n", $1}'
}
count() { [ -f "$OUT/$1-$2.txt" ] && wc -l < "$OUT/$1-$2.txt" | tr -d ' ' || echo 0; }
ratio() { awk "BEGIN { if (\"$1\" == \"n/a\" || \"$2\" == \"n/a\" || $2 + 0 == 0) print \"n/a\"; else printf \"%.2f\", $1 / $2 }"; }
B_TT=$(med qemu-native totalTimeMs); B_DT=$(med qemu-native downtimeMs); B_MB=$(med qemu-native bytesNetwork 1048576 %.1f)
{
    echo "vmlab qemu bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(qemu-system-x86_64 --version | head -n 1)"
    echo "guest: $MEMORY, 1 vCPU, memory workload working-set=$WORKING_SET rate=$WRITE_RATE/s uniform;" \
        "accelerator: ${ACCEL:-?};" \
        "every migration --rate $RATE --downtime-limit $DOWNTIME_LIMIT --verify; $REPS run(s) each after one uncounted vmlab warm-up migration"
    echo "load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg)"
    echo "medians over verified runs; (x) = ratio against qemu-native"
    printf '%-30s %16s %16s %16s %7s %9s\n' "engine/ordering" "total ms" "downtime ms" "MiB on network" "rounds" "verified"
    for l in precopy-sequential precopy-update-history precopy-threshold qemu-native; do
        tt=$(med "$l" totalTimeMs); dt=$(med "$l" downtimeMs); mb=$(med "$l" bytesNetwork 1048576 %.1f); rd=$(med "$l" rounds)
        ok=$(count ok "$l"); bad=$(count failed "$l")
        name=$(echo "$l" | sed 's/^precopy-threshold/precopy\/sequential,threshold/; s/^precopy-/precopy\//')
        printf '%-30s %8s (%5s) %8s (%5s) %8s (%5s) %7s %9s\n' "$name" "$tt" "$(ratio "$tt" "$B_TT")" \
            "$dt" "$(ratio "$dt" "$B_DT")" "$mb" "$(ratio "$mb" "$B_MB")" "$rd" "$ok/$((ok + bad))"
    done
    echo "failed verifications: precopy/sequential $(count failed precopy-sequential)," \
        "precopy/update-history $(count failed precopy-update-history)," \
        "precopy/sequential,threshold $(count failed precopy-threshold), qemu-native $(count failed qemu-native)"
} | tee "$OUT/table.txt"
log "reports and commands in $OUT"
