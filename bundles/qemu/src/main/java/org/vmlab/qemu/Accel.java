package org.vmlab.qemu;

/**
 * The accelerator guests run with and why, with the QEMU version ({@code qemu --version}, e.g.
 * {@code 7.2.22}; empty if it could not be read).
 */
public record Accel(String name, String reason, String qemuVersion) {
    /** RAM a guest gets beyond its spec when {@link #needsRamPad()}: two pages (QEMU rounds -m to 8 KiB). */
    static final long TCG_RAM_PAD = 8L << 10;

    public Accel(String name, String reason) {
        this(name, reason, "");
    }

    Accel withVersion(String version) {
        return new Accel(name, reason, version == null ? "" : version);
    }

    /**
     * Whether guests need {@link #TCG_RAM_PAD}: QEMU before 9.0 under TCG loses guest writes in
     * its own migration. Its dirty-bitmap sync has a fast path (RAM block 256 KiB aligned and a
     * multiple of 256 KiB long) that clears the dirty bits without re-arming the TCG TLB's
     * not-dirty trap, so a page written through a TLB entry that outlives the sync (kernel
     * per-CPU data behind global mappings) is never sent again; QEMU 9.0 fixed it (commit
     * 03bfc2188f, "physmem: Fix migration dirty bitmap coherency with TCG memory access").
     * RAM that is not a multiple of 256 KiB takes the per-page path, which re-arms the trap.
     * An unknown version counts as affected: the pad costs two pages and a slower sync.
     */
    public boolean needsRamPad() {
        return "tcg".equals(name) && majorVersion(qemuVersion) < 9;
    }

    /** The size of a guest's RAM file: {@code memoryBytes}, padded where QEMU's TCG needs it. */
    long ramBytes(long memoryBytes) {
        return memoryBytes + (needsRamPad() ? TCG_RAM_PAD : 0);
    }

    static int majorVersion(String v) {
        int dot = v == null ? -1 : v.indexOf('.');
        try {
            return dot <= 0 ? -1 : Integer.parseInt(v.substring(0, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
