#!/bin/bash
#
# The vmlab cluster on one machine (tools/vmlab-cluster), each figure beside a baseline measured in
# the same run:
#   join      time from a node's bin/start until the others see it, beside the start of a node
#             that joins no cluster (its first answered command)
#   gone      time from kill -9 of a node until another reports it gone, beside the configured
#             failure timeout (failureSeconds)
#   consolidate  first-fit-consolidate on 3 nodes x 4 small busy emu VMs: VMs moved, nodes freed,
#             total time (beside the sum of the migrations' own times, i.e. the same moves one
#             after another, and an apply of `none`), every VM verified
#   cut       (root only: network namespaces) one node's link taken down during cluster:apply
#             evacuate of that node: the report, then after the link is back: no VM lost, none
#             running twice; then the apply run again finishes the evacuation
#   tls       (root only) cluster traffic and migrations in TLS 1.3 through vmlab's relay: the
#             cluster's forming, migrations by name, kill -9 noticed, beside the same 3 namespaced
#             nodes without TLS
#
#   bench/cluster.sh [join|gone|consolidate|cut|tls|all] [runs]   (default all, 3 runs; needs a built karaf-dist)
# Exit status 1 if a check fails (a VM not verified, lost or running twice).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
WHAT=${1:-all}
RUNS=${2:-3}
TOOL=$ROOT/tools/vmlab-cluster
ls "$ROOT"/karaf-dist/target/vmlab-dist-*.tar.gz >/dev/null 2>&1 || { echo "Error: build first (mvn -B install -DskipTests)" >&2; exit 2; }
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
WORK=$(mktemp -d /tmp/vmlab-cluster-bench.XXXXXX)
FAILED=0
export VMLAB_CLUSTER_DIR=$WORK/c
cleanup() {
    "$TOOL" down >/dev/null 2>&1 || true
    [ ! -x "$WORK/solo/bin/stop" ] || "$WORK/solo/bin/stop" >/dev/null 2>&1 || true
    sleep 1
    if [ "$FAILED" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept for a look: $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
v() { "$TOOL" vmlab "$@"; }
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
leader() { v 1 cluster:nodes --json | jget 'd["leadership"]["leader"]' | sed 's/node-//'; }
gone_on() { v "$1" cluster:nodes --json | jget "([n['state'] for n in d['nodes'] if n['name']=='node-$2'] + ['absent'])[0]"; }
# Runs "$@" until it succeeds, for at most $1 seconds; fails naming what it waited for.
await() {
    local limit=$1 what=$2; shift 2
    local deadline=$(( $(date +%s) + limit ))
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "Error: $what did not happen within $limit s" >&2; FAILED=1; exit 1; }
        sleep 0.1
    done
}
is_gone() { [ "$(gone_on "$1" "$2")" = gone ]; }
all_up() { [ "$(v "$1" cluster:nodes --json | grep -o '"state":"up"' | wc -l)" = "$2" ]; }
check() { if [ "$1" = ok ]; then echo "  check: $2: ok"; else echo "  CHECK FAILED: $2 ($1)"; FAILED=1; fi; }

# Every VM id RUNNING on exactly one node, all of the expected ones there: read from each node itself.
placement_check() {   # $1 expected VM count, $2.. node numbers
    local want=$1; shift
    local all=""
    for i in "$@"; do all="$all $(v "$i" vm:list --json | jget '" ".join(x["id"] for x in d if x["state"].lower()=="running")')"; done
    local total distinct
    total=$(echo "$all" | tr ' ' '\n' | grep -c . || true)
    distinct=$(echo "$all" | tr ' ' '\n' | grep . | sort -u | wc -l)
    [ "$total" = "$distinct" ] && check ok "no VM running twice ($total running)" || check "$total running, $distinct distinct" "no VM running twice"
    [ "$distinct" = "$want" ] && check ok "no VM lost ($distinct of $want)" || check "$distinct of $want" "no VM lost"
}

bench_join_gone() {
    echo "== join and failure detection ($RUNS runs, loopback, 3 running nodes + 1 that joins)"
    "$TOOL" up 3 --heap 512m >/dev/null
    local solo="" join="" gone=""
    for r in $(seq "$RUNS"); do
        # baseline: the same distribution with no cluster configured, to its first answered command
        rm -rf "$WORK/solo" "$WORK/u" && mkdir -p "$WORK/u" && tar xzf "$ROOT"/karaf-dist/target/vmlab-dist-*.tar.gz -C "$WORK/u" && mv "$WORK"/u/vmlab-dist-* "$WORK/solo"
        printf 'host = 127.0.0.1\nport = 0\n' > "$WORK/solo/etc/org.vmlab.transport.cfg"
        t=$(now_ms); VMLAB_HEAP=512m "$WORK/solo/bin/vmlab" policy:list >/dev/null; solo="$solo $(( $(now_ms) - t ))"
        "$WORK/solo/bin/stop" >/dev/null; while pgrep -f -- "-Dkaraf.home=$WORK/solo( |$)" >/dev/null; do sleep 0.2; done
        out=$("$TOOL" add --heap 512m)
        n=$(echo "$out" | sed -n 's/^node-\([0-9]*\) joined .*/\1/p')
        join="$join $(echo "$out" | sed -n 's/^node-[0-9]* joined \([0-9]*\) ms.*/\1/p')"
        t=$(now_ms); "$TOOL" kill "$n" >/dev/null
        [ -n "$n" ] || { echo "Error: tools/vmlab-cluster add said: $out" >&2; exit 1; }
        await 60 "node-$n reported gone" is_gone 1 "$n"; gone="$gone $(( $(now_ms) - t ))"
    done
    "$TOOL" down >/dev/null; rm -rf "$VMLAB_CLUSTER_DIR"
    printf '  %-58s %8s ms   (runs:%s)\n' "node start to answering, no cluster (baseline)" "$(echo "$solo" | median)" "$solo"
    printf '  %-58s %8s ms   (runs:%s)\n' "node start to seen by the others (join)" "$(echo "$join" | median)" "$join"
    printf '  %-58s %8s ms\n' "failure timeout configured (failureSeconds, baseline)" 5000
    printf '  %-58s %8s ms   (runs:%s)\n' "kill -9 to reported gone on another node" "$(echo "$gone" | median)" "$gone"
}

bench_consolidate() {
    echo "== first-fit-consolidate: 3 nodes x 4 busy emu VMs (64 MiB, memory workload 20 MB/s); nodes offer 8 CPUs, 2 GiB"
    "$TOOL" up 3 --heap 768m --cpus 8 --memory 2G >/dev/null
    for i in 1 2 3; do for k in 1 2 3 4; do
        v "$i" vm:create --memory 64M --vcpus 1 --workload memory --param rate=20M --param working-set=32M "vm$i$k" >/dev/null
    done; done
    sleep 4   # two publications: the CPU load of each VM is measured
    L=$(leader)
    t=$(now_ms); v "$L" cluster:apply --json none > "$WORK/none.json"; none_ms=$(( $(now_ms) - t ))
    v "$L" cluster:plan first-fit-consolidate
    t=$(now_ms); v "$L" cluster:apply --json first-fit-consolidate > "$WORK/apply.json" || true; wall=$(( $(now_ms) - t ))
    jget '"  status %s: %d VMs moved of %d moves, %.1f MiB, nodes freed %s, apply %d ms" % (d["status"], d["vmsMoved"], len(d["moves"]), d["bytes"]/1048576, d["nodesFreed"], d["totalTimeMs"])' < "$WORK/apply.json"
    serial=$(jget 'sum(m["timeMs"] for m in d["moves"])' < "$WORK/apply.json")
    printf '  %-58s %8s ms\n' "cluster:apply none (baseline: the apply's own cost)" "$none_ms"
    printf '  %-58s %8s ms\n' "sum of the migrations' times (baseline: one after another)" "$serial"
    printf '  %-58s %8s ms\n' "cluster:apply first-fit-consolidate, wall (concurrency 2)" "$wall"
    bad=$(jget 'sum(1 for m in d["moves"] if m["status"]!="moved" or m["verified"]!="passed")' < "$WORK/apply.json")
    [ "$bad" = 0 ] && check ok "every move verified at its destination" || check "$bad not verified" "every move verified"
    sleep 2
    unverified=0
    for i in 1 2 3; do
        for id in $(v "$i" vm:list --json | jget '" ".join(x["id"] for x in d)'); do
            v "$i" vm:verify "$id" >/dev/null 2>&1 || unverified=$((unverified + 1))
        done
    done
    [ "$unverified" = 0 ] && check ok "vm:verify of all 12 VMs where they run now" || check "$unverified failed" "vm:verify of every VM"
    placement_check 12 1 2 3
    "$TOOL" down >/dev/null; rm -rf "$VMLAB_CLUSTER_DIR"
}

bench_cut() {
    if [ "$(id -u)" != 0 ]; then echo "== cut: skipped (needs root for network namespaces)"; return; fi
    echo "== network cut during cluster:apply evacuate (3 nodes, each in its own network namespace)"
    "$TOOL" up 3 --netns --heap 768m --cpus 8 --memory 4G >/dev/null
    L=$(leader); S=$(( L % 3 + 1 ))   # evacuate a node that is not the leader, and cut it
    for k in 1 2 3 4; do
        v "$S" vm:create --memory 256M --vcpus 1 --workload memory --param rate=20M --param working-set=128M "cut$k" >/dev/null
    done
    sleep 3
    ( v "$L" cluster:apply --concurrency 1 --rate 400m evacuate "node-$S" > "$WORK/cut.out" 2>&1; echo "exit status $?" >> "$WORK/cut.out" ) &
    sleep 3
    "$TOOL" cut "$S" >/dev/null; t=$(now_ms)
    wait
    echo "  apply ended $(( $(now_ms) - t )) ms after the cut; its report:"
    sed 's/^/    | /' "$WORK/cut.out"
    grep -q "stopped\|partial\|completed" "$WORK/cut.out" && check ok "the apply ended with a report" || check "no report" "the apply ended with a report"
    "$TOOL" heal "$S" >/dev/null; t=$(now_ms)
    await 120 "node-$S merged back" all_up "$L" 3
    echo "  link back: node-$S merged into the cluster after $(( $(now_ms) - t )) ms"
    sleep 12   # a receiver drops a partial VM after its 10 s timeout
    placement_check 4 1 2 3
    echo "  cluster:apply evacuate node-$S again (resume):"
    v "$L" cluster:apply --concurrency 2 evacuate "node-$S" 2>&1 | tail -n 1 | sed 's/^/    | /'
    placement_check 4 1 2 3
    left=$(v "$S" vm:list --json | jget 'len(d)')
    [ "$left" = 0 ] && check ok "node-$S is empty after the resumed apply" || check "$left VMs left" "node-$S empty"
    "$TOOL" down >/dev/null; rm -rf "$VMLAB_CLUSTER_DIR"
}

# One namespaced cluster of 3, plain or with --tls: forming time, $RUNS migrations of a busy VM by
# name round the nodes (each verified), kill -9 of node 3 until node 1 reports it gone.
tls_round() {   # $1 plain|tls; sets up_ms, mig, gone_ms
    local flags=(--netns) t from to r rep
    [ "$1" = plain ] || flags+=(--tls)
    t=$(now_ms); "$TOOL" up 3 "${flags[@]}" --heap 512m --cpus 8 --memory 4G >/dev/null; up_ms=$(( $(now_ms) - t ))
    v 1 vm:create --memory 256M --vcpus 1 --workload memory --param rate=20M --param working-set=128M roam >/dev/null
    mig=""; from=1
    for r in $(seq "$RUNS"); do
        to=$(( from % 2 + 1 ))
        rep=$(v "$from" migration:start --to "node-$to" --verify --json roam)
        echo "$rep" | jget 'd["status"]=="completed" and d["verified"]=="passed"' | grep -q True \
            && check ok "$1: migration node-$from to node-$to completed and verified" || check "$rep" "$1: migration verified"
        mig="$mig $(echo "$rep" | jget 'd["totalTimeMs"]')"
        from=$to
    done
    t=$(now_ms); "$TOOL" kill 3 >/dev/null
    await 60 "node-3 reported gone" is_gone 1 3; gone_ms=$(( $(now_ms) - t ))
    "$TOOL" down >/dev/null; rm -rf "$VMLAB_CLUSTER_DIR"
}

bench_tls() {
    if [ "$(id -u)" != 0 ]; then echo "== tls: skipped (needs root for network namespaces)"; return; fi
    echo "== cluster traffic in TLS 1.3 through the relay: 3 nodes, each in its own network namespace"
    tls_round plain; local up0=$up_ms mig0=$mig gone0=$gone_ms
    tls_round tls
    printf '  %-58s %8s ms
' "up 3 --netns: started until all see all (baseline)" "$up0"
    printf '  %-58s %8s ms
' "up 3 --netns --tls: started until all see all" "$up_ms"
    printf '  %-58s %8s ms   (runs:%s)
' "migration by name, 256 MiB busy VM, plain (baseline)" "$(echo "$mig0" | median)" "$mig0"
    printf '  %-58s %8s ms   (runs:%s)
' "migration by name, 256 MiB busy VM, TLS" "$(echo "$mig" | median)" "$mig"
    printf '  %-58s %8s ms
' "kill -9 to reported gone, plain (baseline)" "$gone0"
    printf '  %-58s %8s ms
' "kill -9 to reported gone, TLS relay" "$gone_ms"
}

case "$WHAT" in
    join|gone) bench_join_gone ;;
    consolidate) bench_consolidate ;;
    cut) bench_cut ;;
    tls) bench_tls ;;
    all) bench_join_gone; bench_consolidate; bench_cut; bench_tls ;;
    *) echo "usage: bench/cluster.sh [join|gone|consolidate|cut|tls|all] [runs]" >&2; exit 2 ;;
esac
exit $FAILED
