#!/usr/bin/env python3
"""QEMU's own migration under TCG, with and without vmlab's RAM pad (org.vmlab.qemu.Accel.TCG_RAM_PAD).

Plain QEMU, no vmlab: boots vmlab's guest image (guest/build.sh) with the memory workload, migrates
it over loopback TCP to a second QEMU started with -S -incoming defer, and compares the two RAM
files page by page while both are stopped. Alternates a RAM of MEM MiB (a multiple of 256 KiB: QEMU
< 9.0 takes its dirty-sync fast path, which does not re-arm TCG's not-dirty trap) with MEM MiB +
8 KiB (the per-page path). Prints, per run, QEMU's setup/total/downtime and the differing pages.

    bench/qemu-tcg-pad.py [RUNS=3] [MEM_MIB=512]
"""
import json, os, shutil, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "guest", "target", "image")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
MEM_MIB = int(sys.argv[2]) if len(sys.argv) > 2 else 512
APPEND = "console=ttyS0 vmlab.workload=memory vmlab.mem=%d vmlab.rate=32 vmlab.check=2 vmlab.agent=0" % (MEM_MIB // 2)


class Qemu:
    def __init__(self, folder, ram_kib, extra):
        os.makedirs(folder)
        self.folder = folder
        self.proc = subprocess.Popen([
            "qemu-system-x86_64", "-accel", "tcg", "-m", "%dK" % ram_kib,
            "-object", "memory-backend-file,id=mem0,size=%dK,mem-path=%s/ram,share=on" % (ram_kib, folder),
            "-machine", "q35,memory-backend=mem0", "-kernel", IMG + "/vmlinux", "-initrd", IMG + "/initramfs.img",
            "-append", APPEND, "-serial", "file:%s/console.log" % folder,
            "-qmp", "unix:%s/qmp.sock,server=on,wait=off" % folder,
            "-display", "none", "-nodefaults", "-no-user-config"] + extra, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(folder + "/qmp.sock"):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("QEMU did not open its QMP socket")
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX)
        s.connect(folder + "/qmp.sock")
        self.qmp = s.makefile("rw")
        self.qmp.readline()
        self("qmp_capabilities")

    def __call__(self, command, arguments=None):
        msg = {"execute": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self.qmp.write(json.dumps(msg) + "\n")
        self.qmp.flush()
        while True:
            reply = json.loads(self.qmp.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError(command + ": " + reply["error"]["desc"])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(work, ram_kib):
    src = dst = None
    try:
        src = Qemu(os.path.join(work, "src"), ram_kib, [])
        deadline = time.time() + 180
        while "vmlab-memwork: start" not in open(src.folder + "/console.log", errors="replace").read():
            if time.time() > deadline:
                raise RuntimeError("the workload did not start within 180 s")
            time.sleep(0.5)
        time.sleep(3)
        dst = Qemu(os.path.join(work, "dst"), ram_kib, ["-S", "-incoming", "defer"])
        uri = "tcp:127.0.0.1:%d" % free_port()
        src("migrate-set-parameters", {"max-bandwidth": 125000000, "downtime-limit": 300})
        dst("migrate-incoming", {"uri": uri})
        src("migrate", {"uri": uri})
        while True:
            st = src("query-migrate")
            if st["status"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.1)
        while dst("query-migrate").get("status") not in ("completed", "failed"):
            time.sleep(0.05)
        a = open(src.folder + "/ram", "rb").read()
        b = open(dst.folder + "/ram", "rb").read()
        diff = [i // 4096 for i in range(0, len(a), 4096) if a[i:i + 4096] != b[i:i + 4096]]
        return st, diff
    finally:
        for q in (dst, src):
            if q is not None:
                q.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    if not os.path.exists(IMG + "/vmlinux"):
        sys.exit("Error: no guest image with vmlinux in %s (guest/build.sh makes it)" % IMG)
    print(subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.splitlines()[0])
    print("%-12s %5s %9s %9s %11s %6s  %s" % ("ram", "run", "setup ms", "total ms", "downtime ms", "diff", "first pfns"))
    for run in range(1, RUNS + 1):
        for label, kib in (("%dM" % MEM_MIB, MEM_MIB * 1024), ("%dM+8K" % MEM_MIB, MEM_MIB * 1024 + 8)):
            work = tempfile.mkdtemp(prefix="vmlab-pad-", dir="/tmp")
            st, diff = one_run(work, kib)
            print("%-12s %5d %9s %9s %11s %6d  %s" % (label, run, st.get("setup-time"), st.get("total-time"),
                                                    st.get("downtime"), len(diff), diff[:5]), flush=True)


if __name__ == "__main__":
    main()
