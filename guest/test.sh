#!/usr/bin/env bash
# Boot smoke test of the vmlab QEMU guest, wired the way the Java qemu backend runs it: shared
# file-backed RAM, virtio-blk data disk, virtio-serial agent, serial console to a file, QMP socket.
# Checks: the guest reaches "vmlab-guest: ready", vmlab-memwork passes two self-checks, the agent
# answers over the socket, the warmer reads the disk, and the RAM file shows the workload's pages.
# Exit codes: 0 pass, 1 fail, 77 skipped (QEMU not installed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
accel=${VMLAB_ACCEL:-auto}
keep=0
mem_mib=128
usage() {
    cat <<'USAGE'
usage: guest/test.sh [--accel auto|kvm|tcg] [--keep]
  --accel  auto probes KVM with a short boot and falls back to TCG (default; env VMLAB_ACCEL)
  --keep   keep the temporary directory (console.log, RAM file) for inspection
USAGE
}
while [ $# -gt 0 ]; do
    case "$1" in
        --accel) [ $# -ge 2 ] || { echo "guest-test: error: --accel needs a value" >&2; exit 2; }; accel=$2; shift 2 ;;
        --accel=*) accel=${1#*=}; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "guest-test: error: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
case "$accel" in auto|kvm|tcg) ;; *) echo "guest-test: error: --accel must be auto, kvm or tcg" >&2; exit 2 ;; esac

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "guest-test: SKIPPED: qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
    exit 77
fi

"$here/build.sh" --quiet
img=$here/target/image
# The uncompressed PVH kernel boots much faster under TCG; build.sh names the one to use.
kernel=$img/$(sed -n 's/.*"kernel_boot": "\(.*\)".*/\1/p' "$img/manifest.json")
[ -f "$kernel" ] || kernel=$img/vmlinuz

tmp=$(mktemp -d /tmp/vmlab-guest-test.XXXXXX)   # short path: Unix socket names are limited
qpid=
cleanup() {
    if [ -n "$qpid" ]; then stop_qemu "$qpid"; fi
    if [ "$keep" = 1 ]; then echo "guest-test: kept $tmp"; else rm -rf "$tmp"; fi
}
stop_qemu() { # pid: TERM, then KILL after 10 s
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT
fail() {
    echo "guest-test: FAILED: $*" >&2
    if [ -f "$tmp/console.log" ]; then echo "--- last console lines ---" >&2; tail -n 25 "$tmp/console.log" >&2; fi
    exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

gcc -O2 -Wall -Wextra -Werror -o "$tmp/agentctl" "$here/src/host/vmlab-agentctl.c"

# The self-check must be able to fail: run the workload natively with one injected bit flip.
gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/memwork" "$here/src/vmlab-memwork.c" -lm
out=$(timeout 5 "$tmp/memwork" --mib 4 --rate 0 --check 0.2 --report 10 --inject-fault 2 2>&1 || true)
case "$out" in
    *"check ok pages=1024 gen=1 "*"check FAILED page=512 word=9 "*) echo "guest-test: injected fault detected by vmlab-memwork" ;;
    *) echo "guest-test: FAILED: vmlab-memwork missed an injected fault: $out" >&2; exit 1 ;;
esac

# start_qemu ACCEL APPEND -> sets qpid; everything lives in $tmp
start_qemu() {
    local acc=$1 append=$2 cpu=()
    [ "$acc" = kvm ] && cpu=(-cpu host)
    rm -f "$tmp/console.log" "$tmp/pid" "$tmp/ram" "$tmp/agent.sock" "$tmp/qmp.sock"
    qemu-system-x86_64 -accel "$acc" "${cpu[@]}" -m 512 \
        -object memory-backend-file,id=mem0,size=512M,mem-path="$tmp/ram",share=on \
        -machine q35,memory-backend=mem0 \
        -kernel "$kernel" -initrd "$img/initramfs.img" -append "$append" \
        -drive file="$img/disk.img",format=raw,if=none,id=disk0,readonly=on \
        -device virtio-blk-pci,drive=disk0 \
        -device virtio-serial \
        -chardev socket,path="$tmp/agent.sock",server=on,wait=off,id=agent \
        -device virtserialport,chardev=agent,name=org.vmlab.agent \
        -serial file:"$tmp/console.log" \
        -qmp unix:"$tmp/qmp.sock",server=on,wait=off \
        -display none -nodefaults -no-user-config -pidfile "$tmp/pid" \
        >"$tmp/qemu.out" 2>&1 &
    qpid=$!
}
# wait_for SECONDS PATTERN [COUNT]: wait until the console holds COUNT lines matching PATTERN
wait_for() {
    local secs=$1 pat=$2 count=${3:-1} deadline n
    deadline=$(( $(date +%s) + secs ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        n=$(grep -c -e "$pat" "$tmp/console.log" 2>/dev/null || true)
        [ "${n:-0}" -ge "$count" ] && return 0
        grep -q -e 'check FAILED' -e 'Kernel panic' "$tmp/console.log" 2>/dev/null && return 1
        kill -0 "$qpid" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

# ---- accelerator: KVM only if a short probe boot reaches "ready" (nested KVM can hang) ----
probe_file=$here/target/accel-probe
if [ "$accel" = auto ]; then
    # KVM usability is a property of this host boot and QEMU build, not of the image.
    key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $(qemu-system-x86_64 --version | head -n 1)"
    if [ -f "$probe_file" ] && [ "$(sed -n 2p "$probe_file")" = "$key" ]; then
        accel=$(sed -n 1p "$probe_file")
        echo "guest-test: accelerator $accel (cached probe result in $probe_file)"
    elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        t=$(now)
        start_qemu kvm "console=ttyS0 vmlab.workload=idle vmlab.agent=0"
        if wait_for 10 'vmlab-guest: ready'; then accel=kvm; else accel=tcg; fi
        stop_qemu "$qpid"; qpid=
        echo "guest-test: KVM probe took $(elapsed "$t") s: using $accel"
        printf '%s\n%s\n' "$accel" "$key" > "$probe_file"
    else
        accel=tcg
        echo "guest-test: /dev/kvm not usable: using tcg"
    fi
fi

# ---- the real boot ----
append="console=ttyS0 vmlab.workload=memory vmlab.mem=$mem_mib vmlab.rate=20"
append+=" vmlab.dist=zipf vmlab.check=2 vmlab.report=2 vmlab.warm=1"
t0=$(now)
start_qemu "$accel" "$append"
wait_for 120 'vmlab-guest: ready' || fail "no 'vmlab-guest: ready' on the console within 120 s ($accel)"
boot_s=$(elapsed "$t0")
guest_up=$(sed -n 's/.*vmlab-guest: info .*uptime=\([0-9.]*\).*/\1/p' "$tmp/console.log")
echo "guest-test: boot to ready took $boot_s s on $accel with ${kernel##*/} (guest uptime ${guest_up:-?} s, load $(cut -d' ' -f1 /proc/loadavg))"
grep -q 'vmlab-guest: info .*disk=mounted' "$tmp/console.log" || fail "the data disk was not mounted"

wait_for 90 'vmlab-memwork: check ok' 2 || fail "vmlab-memwork did not report two 'check ok' lines"
grep 'vmlab-memwork: check ok' "$tmp/console.log" | tr -d '\r' | head -n 2 | sed 's/^/guest-test: console: /'

# ---- agent over the virtio-serial socket ----
reply() { "$tmp/agentctl" "$tmp/agent.sock" "$1" 10 || fail "no agent reply to $1"; }
r=$(reply '{"id":7,"op":"ping"}')
case "$r" in '{"id":7,"ok":true,"op":"ping"'*) ;; *) fail "unexpected ping reply: $r" ;; esac
echo "guest-test: agent ping: $r"
r=$(reply '{"id":8,"op":"status"}')
case "$r" in *'"id":8,"ok":true'*'"failures":0'*'"workload_alive":true'*) ;; *) fail "unexpected status reply: $r" ;; esac
echo "guest-test: agent status: $r"
r=$(reply '{"id":9,"op":"prepare-detach"}')
[ "$r" = '{"id":9,"ok":false,"error":"unsupported op"}' ] || fail "unexpected reply to an unknown op: $r"
r=$(reply 'not json')
case "$r" in '{"id":null,"ok":false,"error":"bad request: '*) ;; *) fail "unexpected reply to bad input: $r" ;; esac
long=$(head -c 5000 /dev/zero | tr '\0' x)
r=$(reply "{\"id\":10,\"op\":\"$long\"}")
[ "$r" = '{"id":null,"ok":false,"error":"bad request: line longer than 4096 bytes"}' ] \
    || fail "unexpected reply to an over-long line: $r"
r=$(reply '{"id":11,"op":"ping"}')   # and the agent still serves after bad input
case "$r" in '{"id":11,"ok":true,'*) ;; *) fail "agent stopped answering after bad input: $r" ;; esac
echo "guest-test: agent rejects unknown ops, malformed and over-long lines, and keeps serving"
r=$(reply '{"id":12,"op":"pci"}')   # the PCI functions the guest sees (virtio's vendor is 0x1af4)
case "$r" in '{"id":12,"ok":true,"op":"pci"'*'"vendor":"0x1af4"'*) ;; *) fail "unexpected pci reply: $r" ;; esac
echo "guest-test: agent lists the guest's PCI devices"

# ---- page-cache warmer: every file of the disk read, no errors ----
wait_for 60 'vmlab-warm: pass=1 ' || fail "vmlab-warm did not finish a pass"
files=$(sed -n 's/.*"disk_files": \([0-9]*\).*/\1/p' "$img/manifest.json")
line=$(grep 'vmlab-warm: pass=1 ' "$tmp/console.log" | tr -d '\r')
echo "guest-test: console: $line"
case "$line" in *" files=$((files + 1)) "*" errors=0") ;; *) fail "warmer did not read all $((files + 1)) files cleanly" ;; esac

# ---- pagecache-map: the warmed files' clean cache as (frame, block) runs ----
r=$("$tmp/agentctl" "$tmp/agent.sock" '{"id":12,"op":"pagecache-map"}' 60) || fail "no agent reply to pagecache-map"
head=${r%%,\"map\":*}
case "$r" in '{"id":12,"ok":true,"op":"pagecache-map"'*'"map":[['*']]}') ;; *) fail "unexpected pagecache-map reply: ${head:0:300}" ;; esac
pages=$(printf '%s' "$head" | sed -n 's/.*"pages":\([0-9]*\).*/\1/p')
[ "${pages:-0}" -gt 0 ] || fail "pagecache-map found no cached pages after a warm pass: $head"
echo "guest-test: agent pagecache-map: $head}"

# ---- the shared RAM file holds the guest's memory: count workload pages at 4 KiB boundaries ----
found=$(grep -aboF VMLABPG1 "$tmp/ram" | awk -F: '$1 % 4096 == 0 { n++ } END { print n + 0 }')
want=$(( mem_mib * 256 ))
echo "guest-test: RAM file: $found page headers at 4 KiB boundaries (workload has $want pages)"
# Fresh guest, one workload run, mlocked pages that compaction may not move: exactly one copy each.
[ "$found" -eq "$want" ] || fail "RAM file shows $found workload page headers, expected $want"

grep -q 'check FAILED' "$tmp/console.log" && fail "vmlab-memwork reported a failed check"
t=$(now)
stop_qemu "$qpid"; qpid=
echo "guest-test: stopped QEMU in $(elapsed "$t") s"
echo "guest-test: PASSED ($accel, boot $boot_s s, total $(elapsed "$t0") s)"
