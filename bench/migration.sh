#!/bin/sh
#
# Live-migration bench (bench/README.md): six figures, each beside its baseline from the same
# run, through a fresh distribution driven by bin/vmlab (engines and orderings as installed):
#   1. an idle 4 GiB emu guest (memory filled with incompressible data, vCPUs stopped) at
#      1 Gbit/s: total migration time against the floor, guest bytes x 8 / rate;
#   2. the same guest migrated back unlimited over loopback: engine throughput against a plain
#      loopback TCP copy of the same number of bytes, and against the same copy written into
#      fresh guest-like memory (a tmpfs mapping), the floor of any migration into a new guest;
#      and once more with --compress (LZ4 over incompressible pages) and once over TLS 1.3;
#   3. a memory workload with Zipf writes: pages re-sent, bytes, total time and downtime,
#      update-history against sequential, and precopy's converge switchover against QEMU's
#      threshold rule (median of REPS runs each);
#   4. postcopy, fault-mode blocking against cooperative on the web and database workloads (8
#      server processes per vCPU, each with 8 MiB of its own memory, real data) with 1, 2 and 4
#      vCPUs: requests/s in the first 3 s after the destination resumed, and the highest p99
#      response time then (only when an engine named postcopy is installed);
#   5. postcopy and hybrid downtime and setup time against guest size (256 MiB to 8 GiB);
#   6. an all-zero 2 GiB guest (web workload over zero files, page cache warm) by precopy at
#      1 Gbit/s: total time against 0.5 s.
#
#   bench/migration.sh [--quick]   (--quick: 1 GiB idle guest, 1 run each, fewer sizes and vCPU
#                                   counts; needs a built karaf-dist)
#
# Prints a table; writes it, every JSON report and the commands to run/bench/migration-<time>/.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
IDLE_GIB=4
REPS=3
SIZES="256M 1G 4G 8G"
VCPUS="1 2 4"
for arg in "$@"; do
    case "$arg" in
        --quick) IDLE_GIB=1; REPS=1; SIZES="256M 1G"; VCPUS="2" ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "Error: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done
ARCHIVE=$(ls "$ROOT"/karaf-dist/target/vmlab-dist-*.tar.gz 2>/dev/null | head -n 1 || true)
[ -n "$ARCHIVE" ] || { echo "Error: build first (mvn -B install -DskipTests)" >&2; exit 2; }
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
# Compiled once, so each call costs a JVM start only.
TOOLS=$(mktemp -d)
"${JAVA_HOME:+$JAVA_HOME/bin/}javac" -d "$TOOLS" "$ROOT/tools/Reports.java"
R() { "$JAVA" -cp "$TOOLS" Reports "$@"; }

OUT="$ROOT/run/bench/migration-$(date +%Y%m%d-%H%M%S)"
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)
mkdir -p "$OUT"
WORK=$(mktemp -d)
cleanup() {
    if [ -x "$WORK/d/bin/stop" ]; then
        "$WORK/d/bin/stop" >/dev/null 2>&1 || true
        # bin/stop returns before the JVM has gone; wait for it (bounded) before deleting its home.
        i=0; while "$WORK/d/bin/status" >/dev/null 2>&1 && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    # A last log line can land while the folder goes: try again once.
    rm -rf "$WORK" "$TOOLS" 2>/dev/null || { sleep 1; rm -rf "$WORK" "$TOOLS" || true; }
}
trap cleanup EXIT
mkdir -p "$WORK/u" && tar xzf "$ARCHIVE" -C "$WORK/u" && mv "$WORK"/u/vmlab-dist-* "$WORK/d"
# Migrations go to this instance's own receiver: any free loopback port (7301 may be taken).
echo "port = 0" > "$WORK/d/etc/org.vmlab.transport.cfg"
V="$WORK/d/bin/vmlab"
log() { echo "bench: $*" >&2; }
vm() { echo "\$ bin/vmlab $*" >> "$OUT/commands.txt"; "$V" "$@"; }
field() { R get "$1" "$2"; }
ratio() { awk "BEGIN { if ($2 == 0) print \"n/a\"; else printf \"%.3f\", $1 / $2 }"; }

vm policy:list --json > "$OUT/providers.json"
ENGINES=$(R names "$OUT/providers.json" engine | tr '\n' ' ')
log "engines installed: $ENGINES"

# ---- 1. idle guest at 1 Gbit/s against the floor -----------------------------------------------
# The memory workload fills its working set (the whole guest) with pseudo-random pages, then
# keeps rewriting them at full speed; the guest is paused once the fill is done, so nothing is
# dirtied while it migrates (an idle guest), and no page is a zero page the engine could elide.
IDLE=bench-idle
log "1. filling a $IDLE_GIB GiB guest with incompressible pages ..."
vm vm:create --memory "${IDLE_GIB}G" --vcpus 2 --workload memory --param "working-set=${IDLE_GIB}G" \
    --param rate=0 --param fill=page "$IDLE" >/dev/null
# Filled when no page is zero any more: vm:verify (which pauses the guest for its scan) counts them.
waited=0
while :; do
    sleep 3; waited=$((waited + 3))
    vm vm:verify --json "$IDLE" > "$WORK/verify.json"
    zero=$(R get "$WORK/verify.json" zeroPages)
    [ "$zero" = 0 ] && break
    if [ $waited -ge 300 ]; then echo "Error: $IDLE still has $zero zero pages after ${waited}s" >&2; exit 1; fi
done
vm vm:pause "$IDLE" >/dev/null
log "   filled after ~${waited}s; migrating at 1 Gbit/s ..."
vm migration:start --rate 1g --json "$IDLE" > "$OUT/1-idle-1g.json"
vm vm:pause "$IDLE-incoming" >/dev/null
GUEST=$((IDLE_GIB * 1073741824))
T1=$(field "$OUT/1-idle-1g.json" totalTimeMs)
Z1=$(field "$OUT/1-idle-1g.json" pagesZero)
FLOOR=$(awk "BEGIN { printf \"%.0f\", $GUEST * 8 / 1e9 * 1000 }")

# ---- 2. unlimited on loopback against a plain socket copy --------------------------------------
log "2. migrating it back, unlimited, and a plain loopback socket copy of the same bytes ..."
vm migration:start --json "$IDLE-incoming" > "$OUT/2-idle-unlimited.json"
B2=$(field "$OUT/2-idle-unlimited.json" bytesNetwork)
T2=$(field "$OUT/2-idle-unlimited.json" totalTimeMs)
MIBS2=$(awk "BEGIN { printf \"%.1f\", $B2 / 1048576 / ($T2 / 1000) }")
# Once more with --compress (LZ4 over incompressible pages: what compression costs the data plane),
# in guest bytes per second.
log "2. ... and once more with --compress ..."
vm vm:pause "$IDLE" >/dev/null
vm migration:start --compress --json "$IDLE" > "$OUT/2-idle-unlimited-compress.json"
T2C=$(field "$OUT/2-idle-unlimited-compress.json" totalTimeMs)
MIBS2C=$(awk "BEGIN { printf \"%.1f\", $GUEST / 1048576 / ($T2C / 1000) }")
# And over TLS 1.3 (a fresh EC key pinned on both ends, the instance's receiver reconfigured live).
log "2. ... and once more over TLS ..."
KS="$WORK/d/data/vmlab/bench.p12"; mkdir -p "$WORK/d/data/vmlab"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/d/data/vmlab/bench.p12.password"
chmod 600 "$WORK/d/data/vmlab/bench.p12.password"
"${JAVA_HOME:+$JAVA_HOME/bin/}keytool" -genkeypair -alias bench -keyalg EC -groupname secp256r1 -dname CN=bench \
    -validity 2 -storetype PKCS12 -keystore "$KS" -storepass "$(cat "$WORK/d/data/vmlab/bench.p12.password")" 2>/dev/null
chmod 600 "$KS"
printf 'port = 0\ntls = true\ntlsKeystore = %s\ntlsPasswordFile = %s\n' "$KS" "$WORK/d/data/vmlab/bench.p12.password" \
    > "$WORK/d/etc/org.vmlab.transport.cfg"
sleep 5 # the receiver restarts with TLS
vm vm:pause "$IDLE-incoming" >/dev/null
vm migration:start --json "$IDLE-incoming" > "$OUT/2-idle-unlimited-tls.json"
[ "$(field "$OUT/2-idle-unlimited-tls.json" status)" = completed ] \
    || { echo "Error: the migration over TLS did not complete: $(field "$OUT/2-idle-unlimited-tls.json" failureReason)" >&2; exit 1; }
vm vm:destroy "$IDLE" >/dev/null
T2T=$(field "$OUT/2-idle-unlimited-tls.json" totalTimeMs)
MIBS2T=$(awk "BEGIN { printf \"%.1f\", $GUEST / 1048576 / ($T2T / 1000) }")
echo "port = 0" > "$WORK/d/etc/org.vmlab.transport.cfg"
sleep 5 # and back to plain TCP for the rest
R socket-copy "$B2" > "$OUT/2-socket-copy.txt"
TS=$(cut -f1 "$OUT/2-socket-copy.txt"); MIBSS=$(cut -f2 "$OUT/2-socket-copy.txt")
SHM=/dev/shm; [ -d "$SHM" ] || SHM=$WORK
R socket-copy "$B2" "$SHM" > "$OUT/2-socket-copy-fresh.txt"
MIBSF=$(cut -f2 "$OUT/2-socket-copy-fresh.txt")

# ---- 3. Zipf writes: update-history against sequential -----------------------------------------
# 1 GiB guest, 512 MiB working set written at 48 MiB/s with Zipf page choice (s = 0.99), 1 Gbit/s.
# Without --verify: the engine verifies inside the switchover, which would count as downtime; the
# guest's invariant is checked once at the end instead (a lost page would break it).
ZIPF=bench-zipf
log "3. Zipf writes: update-history against sequential, $REPS run(s) each ..."
vm vm:create --memory 1G --vcpus 2 --workload memory --param working-set=512M --param rate=48M \
    --param distribution=zipf "$ZIPF" >/dev/null
sleep 12 # the workload initialises its working set at the write rate first
cur=$ZIPF
for i in $(seq "$REPS"); do
    for o in sequential update-history threshold; do
        if [ "$o" = threshold ]; then # sequential with QEMU's switchover rule, the baseline of the converge rule
            vm migration:start --ordering sequential --option switchover=threshold --rate 1g --json "$cur" > "$OUT/3-$o-$i.json"
        else
            vm migration:start --ordering "$o" --rate 1g --json "$cur" > "$OUT/3-$o-$i.json"
        fi
        case "$cur" in *-incoming) cur=$ZIPF ;; *) cur=$ZIPF-incoming ;; esac
        sleep 1
    done
done
vm vm:pause "$cur" >/dev/null
vm vm:verify --json "$cur" > "$OUT/3-verify.json"
[ "$(field "$OUT/3-verify.json" passed)" = true ] || { echo "Error: the Zipf guest does not verify after its migrations" >&2; exit 1; }
vm vm:destroy "$cur" >/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
med() { for f in "$OUT"/3-"$1"-*.json; do field "$f" "$2"; done | median; }
RS_SEQ=$(med sequential pagesResent); RS_UH=$(med update-history pagesResent)
DT_SEQ=$(med sequential downtimeMs); DT_UH=$(med update-history downtimeMs)
TT_SEQ=$(med sequential totalTimeMs); TT_UH=$(med update-history totalTimeMs)
BY_SEQ=$(med sequential bytesNetwork); BY_UH=$(med update-history bytesNetwork)
DT_TH=$(med threshold downtimeMs); TT_TH=$(med threshold totalTimeMs)

# ---- 4. postcopy: blocking against cooperative faults, web and database ------------------------
# IEICE'15's setting: request-driven servers with many processes, each with its own memory, over
# a shared page cache of real data. A fresh 1 GiB guest per run: 8 server processes per vCPU with
# 8 MiB each, open-loop arrivals (web 2000 requests/s over a warm 256 MiB of files; database 1000 and 4000
# transactions/s over a 256 MiB table and a 64 MiB buffer pool), 1 Gbit/s. Figure: requests (or
# transactions) per second in the first 3 s after the destination resumed, from the report's
# timeline, and the highest per-second p99 response time then. BENCH_POSTCOPY_ENGINE names another
# engine to exercise this part of the script (it must accept the option fault-mode).
PCENGINE=${BENCH_POSTCOPY_ENGINE:-postcopy}
# Offered loads (workload:requests per second): the database twice, lightly loaded and at 4 000
# transactions/s (which the 2-vCPU guest still serves in full before a migration here), because
# cooperative faults can only show in throughput where the guest has more work than it can serve.
PC_LOADS=${BENCH_PC_LOADS:-web:2000 database:1000 database:4000}
PC=""
if echo " $ENGINES " | grep -q " $PCENGINE "; then
    PC="yes"
    for wr in $PC_LOADS; do
        w=${wr%%:*}; rate=${wr#*:}
        for v in $VCPUS; do
            for mode in blocking cooperative; do
                log "4. $PCENGINE, $w at $rate/s, $v vCPU(s), fault-mode $mode ..."
                PCVM=bench-pc
                if [ "$w" = web ]; then
                    wp="--param files=256M --param warm=true --param rate=$rate"
                else
                    wp="--param table-size=256M --param buffer=64M --param rate=$rate"
                fi
                # shellcheck disable=SC2086
                vm vm:create --memory 1G --vcpus "$v" --disk "$WORK/pc.img" --disk-size 512M --workload "$w" $wp \
                    --param tasks=$((8 * v)) --param private=8M "$PCVM" >/dev/null
                sleep 10 # data set written, page cache warm, servers in their stride
                vm migration:start --engine "$PCENGINE" --option "fault-mode=$mode" --rate 1g --json "$PCVM" \
                    > "$OUT/4-$w-$rate-$v-$mode.json"
                [ "$(field "$OUT/4-$w-$rate-$v-$mode.json" status)" = completed ] \
                    || { echo "Error: $PCENGINE ($w, $mode) did not complete: $(field "$OUT/4-$w-$rate-$v-$mode.json" failureReason)" >&2; exit 1; }
                vm vm:destroy "$PCVM-incoming" >/dev/null
                R after-switchover "$OUT/4-$w-$rate-$v-$mode.json" 3 > "$OUT/4-$w-$rate-$v-$mode.txt"
            done
        done
    done
fi

# ---- 5. postcopy and hybrid: downtime and setup against guest size ------------------------------
# The memory workload writing 32 MiB/s over a 64 MiB working set, guests of each size; the
# figure is flat where nothing in the setup or the pause grows with the guest.
for size in $SIZES; do
    for eng in postcopy hybrid; do
        echo " $ENGINES " | grep -q " $eng " || continue
        log "5. $eng, a $size guest ..."
        vm vm:create --memory "$size" --vcpus 2 --workload memory --param working-set=64M --param rate=32M bench-size >/dev/null
        sleep 4
        vm migration:start --engine "$eng" --rate 1g --json bench-size > "$OUT/5-$eng-$size.json"
        [ "$(field "$OUT/5-$eng-$size.json" status)" = completed ] \
            || { echo "Error: $eng of a $size guest did not complete: $(field "$OUT/5-$eng-$size.json" failureReason)" >&2; exit 1; }
        vm vm:pause bench-size-incoming >/dev/null
        vm vm:verify --json bench-size-incoming > "$OUT/5-verify.json"
        [ "$(field "$OUT/5-verify.json" passed)" = true ] || { echo "Error: the $size guest does not verify after $eng" >&2; exit 1; }
        vm vm:destroy bench-size-incoming >/dev/null
    done
done

# ---- 6. an all-zero 2 GiB guest ---------------------------------------------------------------
# A web server over files of zeros (content=zero), its page cache warm: 1 GiB of cached zero pages
# and 1 GiB never touched. Every page is a zero page: precopy should take next to no time.
log "6. an all-zero 2 GiB guest by precopy at 1 Gbit/s ..."
vm vm:create --memory 2G --vcpus 2 --disk "$WORK/zero.img" --disk-size 1G --workload web --param files=1G --param warm=true \
    --param content=zero --param rate=10 bench-zero >/dev/null
waited=0
while :; do
    vm vm:info --json bench-zero > "$WORK/zero-info.json"
    [ "$(R get "$WORK/zero-info.json" pageCache.cachedPages)" -ge 262144 ] && break
    [ $waited -ge 120 ] && { echo "Error: the zero guest's page cache did not warm in 120 s" >&2; exit 1; }
    sleep 1; waited=$((waited + 1))
done
vm migration:start --rate 1g --json bench-zero > "$OUT/6-zero.json"
vm vm:destroy bench-zero-incoming >/dev/null

# ---- table ---------------------------------------------------------------------------------------
{
    echo "vmlab migration bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, engines: $ENGINES"
    echo "load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg)"
    printf '%-62s %14s %14s %8s\n' "figure" "measured" "baseline" "ratio"
    printf '%-62s %11s ms %11s ms %8s\n' "1. idle ${IDLE_GIB} GiB at 1 Gbit/s: total time vs floor (bytes*8/rate)" \
        "$T1" "$FLOOR" "$(ratio "$T1" "$FLOOR")"
    printf '%-62s %14s\n' "   zero pages the engine elided (should be ~0)" "$Z1"
    printf '%-62s %9s MiB/s %9s MiB/s %8s\n' "2. unlimited loopback: engine vs plain socket copy, same bytes" \
        "$MIBS2" "$MIBSS" "$(ratio "$MIBS2" "$MIBSS")"
    printf '%-62s %9s MiB/s %9s MiB/s %8s\n' "   engine vs the copy written into fresh memory (the floor)" \
        "$MIBS2" "$MIBSF" "$(ratio "$MIBS2" "$MIBSF")"
    printf '%-62s %11s ms %11s ms\n' "   ($B2 bytes) time" "$T2" "$TS"
    printf '%-62s %9s MiB/s %9s MiB/s %8s\n' "   engine with --compress (guest bytes/s) vs plain socket copy" \
        "$MIBS2C" "$MIBSS" "$(ratio "$MIBS2C" "$MIBSS")"
    printf '%-62s %9s MiB/s %9s MiB/s %8s\n' "   engine over TLS 1.3 (guest bytes/s) vs plain socket copy" \
        "$MIBS2T" "$MIBSS" "$(ratio "$MIBS2T" "$MIBSS")"
    printf '%-62s %14s %14s %8s\n' "3. Zipf writes, pages re-sent: update-history vs sequential" "$RS_UH" "$RS_SEQ" "$(ratio "$RS_UH" "$RS_SEQ")"
    printf '%-62s %11s ms %11s ms %8s\n' "   downtime: update-history vs sequential" "$DT_UH" "$DT_SEQ" "$(ratio "$DT_UH" "$DT_SEQ")"
    printf '%-62s %11s ms %11s ms %8s\n' "   total time: update-history vs sequential" "$TT_UH" "$TT_SEQ" "$(ratio "$TT_UH" "$TT_SEQ")"
    printf '%-62s %11s B  %11s B  %8s\n' "   bytes on the network: update-history vs sequential" "$BY_UH" "$BY_SEQ" "$(ratio "$BY_UH" "$BY_SEQ")"
    printf '%-62s %11s ms %11s ms %8s\n' "   downtime: sequential, converge rule vs QEMU's threshold rule" "$DT_SEQ" "$DT_TH" "$(ratio "$DT_SEQ" "$DT_TH")"
    printf '%-62s %11s ms %11s ms %8s\n' "   total time: converge rule vs threshold rule" "$TT_SEQ" "$TT_TH" "$(ratio "$TT_SEQ" "$TT_TH")"
    if [ -n "$PC" ]; then
        for wr in $PC_LOADS; do
        w=${wr%%:*}; rate=${wr#*:}
            for v in $VCPUS; do
                CO=$(cut -f4 "$OUT/4-$w-$rate-$v-cooperative.txt"); BL=$(cut -f4 "$OUT/4-$w-$rate-$v-blocking.txt")
                printf '%-62s %10s op/s %10s op/s %8s\n' "4. $PCENGINE $w $rate/s, ${v} vCPU, first 3 s: coop vs blocking" \
                    "$CO" "$BL" "$(ratio "$CO" "$BL")"
                CP=$(cut -f5 "$OUT/4-$w-$rate-$v-cooperative.txt"); BP=$(cut -f5 "$OUT/4-$w-$rate-$v-blocking.txt")
                printf '%-62s %11s ms %11s ms %8s\n' "   highest p99 response time then: coop vs blocking" "$CP" "$BP" "$(ratio "$CP" "$BP")"
            done
        done
    else
        echo "4. postcopy engine not installed"
    fi
    for eng in postcopy hybrid; do
        for size in $SIZES; do
            f="$OUT/5-$eng-$size.json"
            [ -f "$f" ] || continue
            printf '%-62s %11s ms %11s ms\n' "5. $eng, $size guest: downtime (goal <= 50), setup (<= 100)" \
                "$(field "$f" downtimeMs)" "$(field "$f" setupTimeMs)"
        done
    done
    printf '%-62s %11s ms %11s ms %8s\n' "6. all-zero 2 GiB guest, precopy at 1 Gbit/s: total vs 0.5 s" \
        "$(field "$OUT/6-zero.json" totalTimeMs)" 500 "$(ratio "$(field "$OUT/6-zero.json" totalTimeMs)" 500)"
    printf '%-62s %14s %14s\n' "   zero pages, bytes on the network" "$(field "$OUT/6-zero.json" pagesZero)" \
        "$(field "$OUT/6-zero.json" bytesNetwork)"
} | tee "$OUT/table.txt"
log "reports and commands in $OUT"
