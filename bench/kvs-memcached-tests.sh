#!/bin/bash
# memcached's own protocol tests (t/*.t of Debian's memcached source, run with prove) against
# vmlab's tiered key-value server, a fresh server for each test file, through memcached's
# T_MEMD_USE_DAEMON switch. Prints one line per file and a summary. Needs `mvn -B install
# -DskipTests` first, perl (prove), and the memcached source: `apt-get source memcached` into
# MEMCACHED_SRC (default /tmp/vmlab-memcached-src), which needs a deb-src line in apt's sources.
#   bench/kvs-memcached-tests.sh [mode]      (mode: dual-lru (default), dram-only, nvm-only, flat)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
MODE=${1:-dual-lru}
SRC=${MEMCACHED_SRC:-/tmp/vmlab-memcached-src}
command -v prove >/dev/null || { echo "Error: prove (perl) is not installed" >&2; exit 2; }
if ! ls -d "$SRC"/memcached-*/t >/dev/null 2>&1; then
    mkdir -p "$SRC"
    (cd "$SRC" && apt-get source --download-only memcached >/dev/null 2>&1 && tar xf memcached_*.orig.tar.* ) || {
        echo "Error: cannot get memcached's source into $SRC: add a deb-src line for Debian to apt's sources, apt-get update, and run again" >&2
        exit 2
    }
fi
T=$(ls -d "$SRC"/memcached-*/t | head -1)
cd "$ROOT/bench"
mvn -B -q ${VMLAB_MVN_ARGS:-} package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
CP="target/classes:$(cat target/classpath.txt)"
WORK=$(mktemp -d /tmp/vmlab-kvs-t.XXXXXX)
SERVER=""
cleanup() { [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; } || true; rm -rf "$WORK"; }
trap cleanup EXIT
# The tests ask ./memcached-debug -h what the server supports: a stub that names no extstore,
# SASL or TLS makes those sections skip.
mkdir -p "$WORK/run"; cp -r "$T" "$WORK/run/t"
printf '#!/bin/sh\necho "memcached 1.6.18 (vmlab kvs: no extstore, sasl, tls, proxy)"\n' > "$WORK/run/memcached-debug"
chmod +x "$WORK/run/memcached-debug"; cp "$WORK/run/memcached-debug" "$WORK/run/memcached"
# Protocol-level files (see ../shared/research/tiering-storage-anchors.md 1.4); the others test
# memcached's own options, stats of its slab allocator, or its binary protocol.
FILES="getset cas incrdecr noreply flags touch getandtouch bogus-commands malicious-commands multiversioning quit
strtol-testing chunked-items flush-all metaget issue_3 issue_14 issue_41 issue_68 issue_70 issue_104 issue_108
issue_152 issue_163 issue_192"
pass=0; fail=0
for f in $FILES; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    "$JAVA" -Xmx512m -cp "$CP" org.vmlab.bench.KvsServerMain "$WORK/data" port="$port" mode="$MODE" dram=64m nvm=256m \
        > "$WORK/server.log" 2>&1 & SERVER=$!
    for _ in $(seq 1 300); do grep -q listening "$WORK/server.log" && break; sleep 0.1; done
    if (cd "$WORK/run" && T_MEMD_USE_DAEMON=127.0.0.1:$port timeout 120 prove "t/$f.t" > "$WORK/$f.out" 2>&1); then
        echo "PASS $f"; pass=$((pass + 1))
    else
        echo "FAIL $f: $(grep -E '^not ok|Failed test' "$WORK/$f.out" | head -3 | tr '\n' ' ')"; fail=$((fail + 1))
    fi
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
done
echo "$pass passed, $fail failed (memcached's t/*.t against vmlab kvs, mode $MODE)"
