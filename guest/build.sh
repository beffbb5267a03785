#!/usr/bin/env bash
# Builds the vmlab QEMU guest from Debian packages only: kernel (linux-image-amd64), an initramfs
# with busybox-static and vmlab's static guest programs, and an ext4 data disk. Idempotent: the
# outputs are cached under guest/target/image/ with manifest.json; unchanged inputs mean no work.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="$here/target/image"
disk_size=64M
force=0
quiet=0
RECIPE=2   # bump when the output format changes in a way the inputs below do not capture

usage() {
    cat <<'USAGE'
usage: guest/build.sh [--out DIR] [--disk-size SIZE] [--force] [--quiet]
  Builds vmlinuz, initramfs.img, disk.img and manifest.json into DIR (default guest/target/image).
  --disk-size SIZE  ext4 data disk size, e.g. 64M or 1G (default 64M, at least 16M)
  --force           rebuild even when the cached image matches its inputs
  --quiet           print only errors and the final line
  Environment: VMLAB_KERNEL=/boot/vmlinuz-VERSION picks a kernel (default: newest installed).
USAGE
}

die() { echo "guest: error: $*" >&2; exit 1; }
say() { [ "$quiet" = 1 ] || echo "guest: $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
        --out=*) out=${1#*=}; shift ;;
        --disk-size) [ $# -ge 2 ] || die "--disk-size needs a size"; disk_size=$2; shift 2 ;;
        --disk-size=*) disk_size=${1#*=}; shift ;;
        --force) force=1; shift ;;
        --quiet|-q) quiet=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done

case "$disk_size" in
    *[!0-9KMGkmg]*|"") die "--disk-size must look like 64M, 1G or a byte count, got '$disk_size'" ;;
esac
case "$disk_size" in
    *[Kk]) disk_bytes=$(( ${disk_size%?} * 1024 )) ;;
    *[Mm]) disk_bytes=$(( ${disk_size%?} * 1024 * 1024 )) ;;
    *[Gg]) disk_bytes=$(( ${disk_size%?} * 1024 * 1024 * 1024 )) ;;
    *) disk_bytes=$disk_size ;;
esac
[ "$disk_bytes" -ge $((16 * 1024 * 1024)) ] || die "--disk-size must be at least 16M, got '$disk_size'"
disk_bytes=$(( disk_bytes / 4096 * 4096 ))

# ---- tools, each named by the Debian package that provides it ----
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found: install the Debian package $2 (apt-get install $2)"; }
need gcc gcc
need cpio cpio
need gzip gzip
need mkfs.ext4 e2fsprogs
need sha256sum coreutils
need flock util-linux
need readelf binutils
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || die "static libc missing: install the Debian package libc6-dev"
busybox=/bin/busybox
[ -x "$busybox" ] || die "/bin/busybox not found: install the Debian package busybox-static"
readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter' \
    && die "/bin/busybox is dynamically linked: install the Debian package busybox-static"

kernel=${VMLAB_KERNEL:-}
if [ -z "$kernel" ]; then
    kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$kernel" ] || die "no kernel in /boot: install the Debian package linux-image-amd64"
fi
[ -r "$kernel" ] || die "cannot read kernel $kernel (needs read permission; package linux-image-amd64)"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep for kernel $kver: reinstall the Debian package linux-image-$kver"
kconfig=/boot/config-$kver

# ---- modules: virtio PCI transport, block, console (virtio-serial), ext4 with its checksum ----
# Built-in drivers (=y in the kernel config, listed in modules.builtin) need nothing; for the rest
# walk modules.dep so dependencies load first.
roots="virtio_pci virtio_blk virtio_console ext4 crc32c_generic"
declare -A seen=()
order=()
modpath() { # name -> path relative to moddir (any compression suffix), or empty
    awk -F: -v n="$1" '{ p = $1; b = p; sub(/.*\//, "", b); sub(/\.ko(\.(xz|zst|gz))?$/, "", b);
        gsub(/-/, "_", b); if (b == n) { print p; exit } }' "$moddir/modules.dep"
}
add_module() { # path
    local p=$1 d
    [ -n "${seen[$p]:-}" ] && return 0
    seen[$p]=1
    for d in $(awk -F: -v p="$p" '$1 == p { print $2; exit }' "$moddir/modules.dep"); do
        add_module "$d"
    done
    order+=("$p")
}
builtin_modules=()
for m in $roots; do
    p=$(modpath "$m")
    if [ -n "$p" ]; then
        add_module "$p"
    elif grep -q "/${m//_/[_-]}\.ko$" "$moddir/modules.builtin" 2>/dev/null; then
        builtin_modules+=("$m")
    else
        die "kernel $kver has no module or built-in driver '$m'"
    fi
done

# ---- input hash: everything that can change an output ----
inputs_hash() {
    {
        echo "recipe $RECIPE disk_bytes $disk_bytes kernel $kver"
        sha256sum "$here/build.sh" "$here/init" "$here"/src/*.c "$here"/src/host/vmlab-mkfiles.c \
            "$kernel" "$busybox"
        for p in "${order[@]}"; do sha256sum "$moddir/$p"; done
        gcc --version | head -n 1
        mkfs.ext4 -V 2>&1 | head -n 1
        cpio --version | head -n 1
    } | sed "s#  $here/#  guest/#" | sha256sum | cut -d' ' -f1
}
input_hash=$(inputs_hash)

mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
exec 9>"$out.lock"
flock -w 900 9 || die "another build holds $out.lock for more than 15 minutes"

json_field() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1" | head -n 1; }
if [ "$force" = 0 ] && [ -f "$out/manifest.json" ] \
    && [ "$(json_field "$out/manifest.json" input_sha256)" = "$input_hash" ]; then
    ok=1
    for f in $(sed -n 's/^    "\([a-z.]*\)": {"bytes".*/\1/p' "$out/manifest.json"); do
        want=$(sed -n "s/.*\"$f\": {\"bytes\": \([0-9]*\).*/\1/p" "$out/manifest.json")
        [ -f "$out/$f" ] && [ "$(stat -c %s "$out/$f")" = "$want" ] || ok=0
    done
    if [ "$ok" = 1 ]; then
        echo "guest: image up to date in $out (input ${input_hash:0:12}), nothing to do"
        exit 0
    fi
    say "cached image in $out is incomplete; rebuilding"
fi

t0=$(date +%s.%N)
work=$(mktemp -d "$(dirname "$out")/.image-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=0 E2FSPROGS_FAKE_TIME=0   # reproducible cpio and ext4 metadata
mkdir -p "$work/out" "$work/bin" "$work/root" "$work/files"

# ---- guest programs ----
for src in "$here"/src/*.c; do
    name=$(basename "$src" .c)
    say "compiling $name"
    gcc -static -O2 -Wall -Wextra -Werror -o "$work/bin/$name" "$src" -lm
    strip "$work/bin/$name" 2>/dev/null || true
done
gcc -O2 -Wall -Wextra -Werror -o "$work/mkfiles" "$here/src/host/vmlab-mkfiles.c"

# ---- initramfs ----
root=$work/root
mkdir -p "$root"/{bin,sbin,etc/vmlab,proc,sys,dev,run,tmp,mnt/disk,lib/modules}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp "$work"/bin/vmlab-* "$root/bin/"
cp "$here/init" "$root/init"
chmod 0755 "$root/init" "$root"/bin/vmlab-*
: > "$root/etc/vmlab/modules"
for p in "${order[@]}"; do
    base=$(basename "$p")
    case "$p" in
        *.ko.xz) need xz xz-utils; xz -dc "$moddir/$p" > "$root/lib/modules/${base%.xz}"; base=${base%.xz} ;;
        *.ko.zst) need zstd zstd; zstd -qdc "$moddir/$p" > "$root/lib/modules/${base%.zst}"; base=${base%.zst} ;;
        *.ko.gz) gzip -dc "$moddir/$p" > "$root/lib/modules/${base%.gz}"; base=${base%.gz} ;;
        *) cp "$moddir/$p" "$root/lib/modules/$base" ;;
    esac
    echo "$base" >> "$root/etc/vmlab/modules"
done
find "$root" -exec touch -h -d @0 {} +

# /dev/console must exist before init runs, or the kernel starts init without stdio. mknod needs
# root, so append a hand-written newc archive holding just that node (the kernel reads
# concatenated archives).
newc_entry() { # name mode major minor  (no data)
    local name=$1 mode=$2 maj=$3 min=$4 namesize=$(( ${#1} + 1 ))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
        0 "$mode" 0 0 1 0 0 0 0 "$maj" "$min" "$namesize" 0 "$name"
    local pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    [ "$pad" = 0 ] || head -c "$pad" /dev/zero
}
{
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet)
    newc_entry dev/console $((0020000 | 0600)) 5 1
    newc_entry TRAILER!!! 0 0 0
} | gzip -n -9 > "$work/out/initramfs.img"

# ---- kernel ----
cp "$kernel" "$work/out/vmlinuz"
# Also the uncompressed ELF when the kernel has a PVH entry (Debian: CONFIG_PVH=y): QEMU boots it
# directly, skipping the in-guest decompression that takes 10+ s under TCG.
extract_vmlinux() { # bzImage out -> 0 when out is an ELF with a PVH entry note
    local img=$1 dst=$2 magic tool off
    for magic in $'\xfd7zXZ:xz -dc --single-stream' $'\x28\xb5\x2f\xfd:zstd -qdc' $'\x1f\x8b\x08:gzip -dc'; do
        tool=${magic#*:}
        command -v "${tool%% *}" >/dev/null 2>&1 || continue
        for off in $(LC_ALL=C grep -abo "${magic%%:*}" "$img" 2>/dev/null | cut -d: -f1 | head -n 5); do
            tail -c +$((off + 1)) "$img" | $tool > "$dst" 2>/dev/null || true
            if [ "$(head -c 4 "$dst" 2>/dev/null)" = $'\x7fELF' ] \
                && readelf -n "$dst" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
                return 0
            fi
        done
    done
    rm -f "$dst"
    return 1
}
if extract_vmlinux "$kernel" "$work/out/vmlinux"; then
    say "extracted the uncompressed kernel (PVH entry) as vmlinux"
else
    say "no vmlinux: kernel has no PVH entry or its compression tool is missing (xz-utils/zstd); vmlinuz only"
fi

# ---- data disk: ext4, 4 KiB blocks, deterministic files filling ~70% ----
say "writing data files"
read -r nfiles fbytes < <("$work/mkfiles" "$work/files" $(( disk_bytes / 100 * 70 - 8 * 1024 * 1024 )))
find "$work/files" -exec touch -h -d @0 {} +
say "making ext4 disk ($disk_bytes bytes, $nfiles files, $fbytes bytes of data)"
uuid=564d4c61-6200-4000-8000-000000000001
mkfs.ext4 -q -F -b 4096 -L vmlab-data -U "$uuid" -E "root_owner=0:0,hash_seed=$uuid" -m 0 \
    -d "$work/files" "$work/out/disk.img" "$(( disk_bytes / 1024 ))k" >/dev/null \
    || die "mkfs.ext4 failed (e2fsprogs)"

# ---- manifest ----
entry() { # name
    printf '    "%s": {"bytes": %s, "sha256": "%s"}' "$1" "$(stat -c %s "$work/out/$1")" \
        "$(sha256sum "$work/out/$1" | cut -d' ' -f1)"
}
mods_json=$(for p in "${order[@]}"; do printf '"%s",' "$(basename "$p")"; done)
builtin_json=$(for m in "${builtin_modules[@]}"; do printf '"%s",' "$m"; done)
{
    echo "{"
    echo "  \"format\": 1,"
    echo "  \"input_sha256\": \"$input_hash\","
    echo "  \"kernel_version\": \"$kver\","
    echo "  \"kernel_source\": \"$kernel\","
    echo "  \"kernel_boot\": \"$([ -f "$work/out/vmlinux" ] && echo vmlinux || echo vmlinuz)\","
    echo "  \"modules\": [${mods_json%,}],"
    echo "  \"builtin\": [${builtin_json%,}],"
    echo "  \"disk_bytes\": $disk_bytes,"
    echo "  \"disk_block_size\": 4096,"
    echo "  \"disk_files\": $nfiles,"
    echo "  \"disk_file_bytes\": $fbytes,"
    echo "  \"agent_port\": \"org.vmlab.agent\","
    echo "  \"outputs\": {"
    entry vmlinuz; echo ","
    if [ -f "$work/out/vmlinux" ]; then entry vmlinux; echo ","; fi
    entry initramfs.img; echo ","
    entry disk.img; echo
    echo "  }"
    echo "}"
} > "$work/out/manifest.json"

# ---- move into place: the old image stays whole until the new one is complete ----
if [ -e "$out" ]; then
    mv "$out" "$work/old"
fi
mv "$work/out" "$out"
t1=$(date +%s.%N)
echo "guest: built $out in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" \
    "(kernel $kver, initramfs $(stat -c %s "$out/initramfs.img") bytes, disk $(stat -c %s "$out/disk.img") bytes)"
