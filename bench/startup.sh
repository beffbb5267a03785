#!/bin/sh
#
# Start-to-first-command time of the vmlab distribution, and the cost of one bin/vmlab command
# once the instance runs, each beside a baseline measured in the same run:
#   - a fresh instance (empty data/) and a restarted one (data/ kept) against a bare JVM start
#     (java -version), the floor of any JVM-based tool;
#   - one bin/vmlab round trip against the same JVM floor.
#
#   bench/startup.sh [runs]      (default 5; needs a built karaf-dist)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
RUNS=${1:-5}
ARCHIVE=$(ls "$ROOT"/karaf-dist/target/vmlab-dist-*.tar.gz 2>/dev/null | head -n 1 || true)
[ -n "$ARCHIVE" ] || { echo "Error: build first (mvn -B install -DskipTests)" >&2; exit 2; }
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
WORK=$(mktemp -d)
trap '{ [ -x "$WORK/d/bin/stop" ] && "$WORK/d/bin/stop" >/dev/null 2>&1; rm -rf "$WORK"; } || true' EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wait_stopped() { i=0; while "$WORK/d/bin/status" >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; }

fresh=""; restart=""; cmd=""; jvm=""
for r in $(seq "$RUNS"); do
    rm -rf "$WORK/d" "$WORK/u" && mkdir -p "$WORK/u" && tar xzf "$ARCHIVE" -C "$WORK/u" && mv "$WORK"/u/vmlab-dist-* "$WORK/d"
    t=$(now_ms); "$WORK/d/bin/vmlab" policy:list >/dev/null 2>&1; fresh="$fresh $(( $(now_ms) - t ))"
    t=$(now_ms); "$WORK/d/bin/vmlab" policy:list >/dev/null 2>&1; cmd="$cmd $(( $(now_ms) - t ))"
    "$WORK/d/bin/stop" >/dev/null 2>&1; wait_stopped
    t=$(now_ms); "$WORK/d/bin/vmlab" policy:list >/dev/null 2>&1; restart="$restart $(( $(now_ms) - t ))"
    "$WORK/d/bin/stop" >/dev/null 2>&1; wait_stopped
    t=$(now_ms); "$JAVA" -version >/dev/null 2>&1; jvm="$jvm $(( $(now_ms) - t ))"
done

m() { echo "$1" | tr ' ' '\n' | grep . | median; }
JVM=$(m "$jvm"); FRESH=$(m "$fresh"); RESTART=$(m "$restart"); CMD=$(m "$cmd")
printf 'runs: %s (medians, ms)\n' "$RUNS"
printf '%-44s %8s %10s\n' "measure" "ms" "x jvm floor"
printf '%-44s %8s %10s\n' "baseline: bare JVM start (java -version)" "$JVM" "1.0"
printf '%-44s %8s %10.1f\n' "start to first command, fresh instance" "$FRESH" "$(awk "BEGIN {print $FRESH / $JVM}")"
printf '%-44s %8s %10.1f\n' "start to first command, restart (data kept)" "$RESTART" "$(awk "BEGIN {print $RESTART / $JVM}")"
printf '%-44s %8s %10.1f\n' "one bin/vmlab command on a running instance" "$CMD" "$(awk "BEGIN {print $CMD / $JVM}")"
