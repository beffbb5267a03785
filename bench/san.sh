#!/bin/sh
#
# Page-cache teleportation over a SAN (issue 12; bench/README.md "SAN"): emu guests in one JVM,
# real loopback sockets for the migration network and the SAN endpoint, each figure beside its
# baseline from the same run:
#   web  a 4 GiB guest with 3 GiB of web files (random content) in its page cache, web workload
#        at 120 Mbit/s, 1 Gbit/s network and 1 Gbit/s SAN: network-only precopy against CLOUD'14's
#        fixed network share R in {0, 0.1, 0.3, 0.5, 1} and the adaptive split, with the two-path
#        floor (both links busy until the end) and the share of zero pages;
#   detectors  guest-agent, introspection and io-monitor on one warm web guest: restorable pages
#        found against what the guest OS knows, detection time, entries that do not match the
#        disk; then a migration whose detector plants a wrong block in every 10th entry: how many
#        the destination's hash check caught;
#   slowed  the SAN cut to half its rate at 30% of the adaptive run's time: adaptive against the
#        best fixed R of the web rows;
#   db   a database guest, 1.9 GB table, random accesses (a scattered page cache), 500 Mbit/s
#        network and SAN, 1 ms per SAN request, 8 in flight: the same rows.
# Every migration runs with verification; exit status 1 if one fails or is not verified.
#
#   bench/san.sh [--quick] [--skip-db | --only-db]   (--quick: 1 GiB web guest with 768 MiB of files,
#                                         384 MiB table; --skip-db: the web sections only; --only-db: the DB rows only)
#   M2=/path/to/repo bench/san.sh   to build against another local Maven repository
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
WORK=$(mktemp -d /tmp/vmlab-san-bench.XXXXXX)
PID=
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK" /dev/shm/vmlab-sanbench-"$PID" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$ROOT/bench"
mvn -B -q ${M2:+-Dmaven.repo.local=$M2} package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
"$JAVA" -Xmx2g -cp "target/classes:$(cat target/classpath.txt)" org.vmlab.bench.SanBench --dir "$WORK" "$@" &
PID=$!
RC=0
wait "$PID" || RC=$?
PID_DONE=$PID
PID=
rm -rf /dev/shm/vmlab-sanbench-"$PID_DONE" 2>/dev/null || true
exit $RC
