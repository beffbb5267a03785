#!/bin/bash
# A soak of vmlab's tiered key-value server (dual-lru, 16 MiB DRAM + 64 MiB NVM, so it demotes,
# promotes and evicts all the time): a Zipf load checking every value, memccapable in a loop and
# fuzz clients side by side; tier use checked against the limits every 30 s. Exit 0 when no value
# was wrong, the limits held, memccapable always passed and the server is alive at the end.
#   bench/kvs-soak.sh [minutes]      (default 10)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
MINUTES=${1:-10}
command -v memccapable >/dev/null || { echo "Error: memccapable is not installed (apt-get install libmemcached-tools)" >&2; exit 2; }
cd "$ROOT/bench"
mvn -B -q ${VMLAB_MVN_ARGS:-} package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
CP="target/classes:$(cat target/classpath.txt)"
WORK=$(mktemp -d /tmp/vmlab-kvs-soak.XXXXXX)
SERVER=""
cleanup() { [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; } || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$JAVA" -Xmx512m -cp "$CP" org.vmlab.bench.KvsServerMain "$WORK/data" port="$PORT" mode=dual-lru dram=16m nvm=64m \
    buffer-memory=32m > "$WORK/server.log" 2>&1 & SERVER=$!
for _ in $(seq 1 300); do grep -q listening "$WORK/server.log" && break; sleep 0.1; done
echo "soak of 127.0.0.1:$PORT for $MINUTES min ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
"$JAVA" -Xmx1g -cp "$CP" org.vmlab.bench.KvsSoak 127.0.0.1 "$PORT" "$MINUTES"
echo "server JVM resident set at the end: $(( $(awk '/VmRSS/ {print $2}' /proc/$SERVER/status) / 1024 )) MiB (heap cap 512 MiB, tiers 80 MiB)"
