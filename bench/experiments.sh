#!/bin/sh
#
# Reproducibility of an experiment: a seed-figure spec run on a fresh distribution, then run
# again from the spec stored with its results; each metric's median beside the first run's (the
# baseline), with the ratio and whether their 95% confidence intervals overlap. The load average
# at the start and the end is printed: on a shared machine it is most of the noise.
#
#   bench/experiments.sh [spec]     (default experiments/ordering.yaml, about 7 minutes;
#                                    needs a built karaf-dist)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
SPEC=${1:-experiments/ordering.yaml}
ARCHIVE=$(ls "$ROOT"/karaf-dist/target/vmlab-dist-*.tar.gz 2>/dev/null | head -n 1 || true)
[ -n "$ARCHIVE" ] || { echo "Error: build first (mvn -B install -DskipTests)" >&2; exit 2; }
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
WORK=$(mktemp -d)
trap '{ [ -x "$WORK/d/bin/stop" ] && "$WORK/d/bin/stop" >/dev/null 2>&1; rm -rf "$WORK"; } || true' EXIT
mkdir -p "$WORK/u" && tar xzf "$ARCHIVE" -C "$WORK/u" && mv "$WORK"/u/vmlab-dist-* "$WORK/d"
echo "port = 0" > "$WORK/d/etc/org.vmlab.transport.cfg"   # any free port for the migration receiver
cd "$WORK/d"

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
bin/vmlab experiment:run "$SPEC" >/dev/null
FIRST=$(ls -t results | head -n 1)
bin/vmlab experiment:run "results/$FIRST/spec.yaml" >/dev/null
AGAIN=$(ls -t results | head -n 1)
echo "load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"
echo "first run (baseline): $FIRST; again from its stored spec: $AGAIN"
bin/vmlab experiment:compare "$FIRST" "$AGAIN"
# Keep the two results folders where the run can be read afterwards.
mkdir -p "$ROOT/bench/target" && cp -r "results/$FIRST" "results/$AGAIN" "$ROOT/bench/target/"
echo "results copied to bench/target/$FIRST and bench/target/$AGAIN"
