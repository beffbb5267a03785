#!/usr/bin/env bash
# Maven hook for the guest module: runs build.sh (generate-resources) or test.sh (integration-test)
# when the tools exist, otherwise prints one line saying the QEMU guest is skipped and why.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-}
case "$what" in build|test) ;; *) echo "usage: guest/maven.sh build|test" >&2; exit 2 ;; esac

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || missing+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || missing+=(libc6-dev)
have cpio || missing+=(cpio)
have mkfs.ext4 || missing+=(e2fsprogs)
[ -x /bin/busybox ] || missing+=(busybox-static)
ls /boot/vmlinuz-* >/dev/null 2>&1 || missing+=(linux-image-amd64)
[ "$what" = test ] && { have qemu-system-x86_64 || missing+=(qemu-system-x86); }
if [ "$(uname -m)" != x86_64 ]; then
    echo "guest: QEMU guest skipped: the guest recipe targets x86_64 hosts, this is $(uname -m)"
    exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "guest: QEMU guest ${what} skipped: missing Debian packages ${missing[*]} (.ci/run installs them)"
    exit 0
fi
if [ "$what" = build ]; then
    exec "$here/build.sh" --quiet
fi
exec "$here/test.sh"
