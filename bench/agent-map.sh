#!/bin/bash
#
# guest-agent detection time on a QEMU/TCG guest (issue 12; bench/README.md "SAN"): boots vmlab's
# guest image with a data disk of DISK, reads every file once (vmlab.warm=1) so the page cache holds
# them, then times vmlab-agent's pagecache-map (mincore + /proc/self/pagemap + FIEMAP in the guest)
# from the host, beside the agent channel's floor (a status round trip) measured in the same run.
# Then checks every (frame, block) pair it reported: the frame in the shared RAM file holds
# exactly the block in the disk image (python3), and prints the mismatches (0 expected).
#
#   bench/agent-map.sh [--disk-size 1G] [--mem 1536] [--keep]
#   goal of the issue: 3 GiB of cache under 3 s on TCG: --disk-size 4608M --mem 4096
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
disk=1G mem=1536 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --disk-size) disk=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '3,12p' "$0"; exit 0 ;;
        *) echo "agent-map: error: unexpected argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
for t in qemu-system-x86_64 gcc python3; do
    command -v "$t" >/dev/null || { echo "agent-map: error: '$t' not found" >&2; exit 2; }
done
work=$(mktemp -d /tmp/vmlab-agentmap.XXXXXX)
qpid=
cleanup() {
    if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
    if [ "$keep" = 1 ]; then echo "agent-map: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now() { date +%s.%N; }
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

t=$(now)
"$ROOT/guest/build.sh" --out "$work/image" --disk-size "$disk" --quiet
echo "agent-map: image with a $disk data disk built in $(ms_since "$t") ms"
gcc -O2 -o "$work/agentctl" "$ROOT/guest/src/host/vmlab-agentctl.c"
img=$work/image
kernel=$img/$(sed -n 's/.*"kernel_boot": "\([^"]*\)".*/\1/p' "$img/manifest.json")
qemu-system-x86_64 -accel tcg -m "$mem" \
    -object memory-backend-file,id=mem0,size="${mem}M",mem-path="$work/ram",share=on \
    -machine q35,memory-backend=mem0 -kernel "$kernel" -initrd "$img/initramfs.img" \
    -append "console=ttyS0 vmlab.workload=idle vmlab.warm=1" \
    -drive file="$img/disk.img",format=raw,if=none,id=disk0,readonly=on -device virtio-blk-pci,drive=disk0 \
    -device virtio-serial -chardev socket,path="$work/agent.sock",server=on,wait=off,id=agent \
    -device virtserialport,chardev=agent,name=org.vmlab.agent \
    -serial file:"$work/console.log" -display none -nodefaults -no-user-config >"$work/qemu.out" 2>&1 &
qpid=$!
t=$(now)
until grep -q 'vmlab-warm: pass=1 ' "$work/console.log" 2>/dev/null; do
    kill -0 "$qpid" 2>/dev/null || { echo "agent-map: error: QEMU exited: $(cat "$work/qemu.out")" >&2; exit 1; }
    [ "$(ms_since "$t")" -lt 900000 ] || { echo "agent-map: error: no warm pass within 900 s" >&2; exit 1; }
    sleep 1
done
echo "agent-map: $(grep -a 'vmlab-warm: pass=1 ' "$work/console.log" | tr -d '\r') (boot + warm $(ms_since "$t") ms)"

t=$(now)
status=$("$work/agentctl" "$work/agent.sock" '{"id":1,"op":"status"}' 30)
status_ms=$(ms_since "$t")
cached=$(printf '%s' "$status" | sed -n 's/.*"cached_kib":\([0-9]*\).*/\1/p')
t=$(now)
"$work/agentctl" "$work/agent.sock" '{"id":2,"op":"pagecache-map"}' 300 > "$work/map.json"
map_ms=$(ms_since "$t")
echo "agent-map: guest page cache (status, /proc/meminfo Cached): $((cached / 1024)) MiB"
echo "agent-map: pagecache-map round trip: $map_ms ms (baseline: status round trip $status_ms ms)"
python3 - "$work/map.json" "$work/ram" "$img/disk.img" "$mem" <<'PY'
import json, sys
reply = json.load(open(sys.argv[1]))
ram_bytes = int(sys.argv[4]) << 20
def offset(gpfn):            # q35: above 2816 MiB of RAM, the first 2 GiB low and the rest at 4 GiB
    gpa = gpfn * 4096
    if ram_bytes <= 0xB0000000 or gpa < 2 << 30:
        return gpa
    return gpa - (2 << 30)
print("agent-map: in the guest: %d files, %d cached pages, %d reported (%d MiB) in %d runs, %.1f ms (populate %.0f, pagemap %.0f), reply %d bytes"
      % (reply["files"], reply["cached_pages"], reply["pages"], reply["pages"] * 4096 >> 20, reply["runs"],
         reply["ms"], reply["ms_populate"], reply["ms_pagemap"], len(open(sys.argv[1], "rb").read())))
bad = 0
with open(sys.argv[2], "rb") as ram, open(sys.argv[3], "rb") as disk:
    for pfn, block, n in reply["map"]:
        for i in range(n):
            ram.seek(offset(pfn + i)); disk.seek((block + i) * 4096)
            bad += ram.read(4096) != disk.read(4096)
print("agent-map: frames whose content differs from the block named: %d of %d" % (bad, reply["pages"]))
sys.exit(1 if bad else 0)
PY
