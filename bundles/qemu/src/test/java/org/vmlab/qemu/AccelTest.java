package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccelTest {

    @Test
    void versionComesFromQemusOwnLine() {
        assertEquals("7.2.22", AccelProbe.parseVersion(
                "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 ..."));
        assertEquals("9.0", AccelProbe.parseVersion("QEMU emulator version 9.0\n"));
        assertEquals("", AccelProbe.parseVersion("qemu-system-x86_64: command not found"));
    }

    @Test
    void onlyTcgBeforeQemu9GetsThePadAndAnUnknownVersionCountsAsAffected() {
        assertTrue(new Accel("tcg", "r", "7.2.22").needsRamPad());
        assertTrue(new Accel("tcg", "r", "8.2.1").needsRamPad());
        assertTrue(new Accel("tcg", "r", "").needsRamPad());
        assertFalse(new Accel("tcg", "r", "9.0.0").needsRamPad());
        assertFalse(new Accel("tcg", "r", "10.1.2").needsRamPad());
        assertFalse(new Accel("kvm", "r", "7.2.22").needsRamPad());
    }

    @Test
    void thePadTakesRamOffQemusAlignedFastPath() {
        // The fast path needs a multiple of 64 pages (256 KiB); the pad must break that, and QEMU
        // rounds -m to 8 KiB, so the pad must be a multiple of 8 KiB.
        assertTrue(Accel.TCG_RAM_PAD % (256L << 10) != 0);
        assertEquals(0, Accel.TCG_RAM_PAD % (8L << 10));
        assertEquals(0, Accel.TCG_RAM_PAD % 4096);
    }
}
