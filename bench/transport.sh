#!/bin/sh
# Runs the data-plane bench (bench/README.md). Needs `mvn -B install -DskipTests` first.
#   bench/transport.sh [--quick]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
cd "$ROOT/bench"
mvn -B -q ${VMLAB_MAVEN_OPTS:-} package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
exec "$JAVA" -Xmx1g -cp "target/classes:$(cat target/classpath.txt)" org.vmlab.bench.TransportBench "$@"
