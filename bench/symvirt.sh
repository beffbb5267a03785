#!/bin/sh
# SymVirt bench (issue 15, bench/README.md): a 4-rank mpi job of emu VMs with an ivshmem pass-through
# device; fast vs fallback path, normal operation with vs without the device, coordinated precopy vs
# postcopy migration against the footprint, phase costs, checkpoint/restart. Needs
# `mvn -B install -DskipTests` first. Guest memory goes to /dev/shm: 4 ranks x footprint x 2 during
# a migration must fit (4G per VM needs ~34 GiB).
#   bench/symvirt.sh [--paths-only|--no-paths] [FOOTPRINT...]   e.g. 256M 1G 2G 4G (default 256M 1G)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
cd "$ROOT/bench"
mvn -B -q ${VMLAB_MAVEN_OPTS:-} package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
exec "$JAVA" -Xmx1g -cp "target/classes:$(cat target/classpath.txt)" org.vmlab.bench.SymVirtBench "$@"
