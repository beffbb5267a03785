package org.vmlab.api.tiering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TierModelTest {
    private static final TierModel OPTANE = new TierModel("optane-dcpmm", 374, 391, 38_000_000_000L,
            3_000_000_000L, 64, 256, "IEICE'20");

    @Test
    void linesAndMediaBlocksRoundUp() {
        assertEquals(1, OPTANE.lines(0));
        assertEquals(1, OPTANE.lines(64));
        assertEquals(2, OPTANE.lines(65));
        assertEquals(256, OPTANE.mediaBytes(8), "a write consumes a whole 256 B block");
        assertEquals(512, OPTANE.mediaBytes(257));
        assertEquals(4096, OPTANE.mediaBytes(4096));
    }

    @Test
    void theSymmetricVariantChargesWriteBacksAsReads() {
        TierModel s = OPTANE.symmetric();
        assertEquals("optane-dcpmm-symmetric", s.name());
        assertEquals(374, s.writeLatencyNanos());
        assertEquals(OPTANE.readBytesPerSecond(), s.writeBytesPerSecond());
        assertEquals(s.name(), s.symmetric().name(), "symmetric twice is the same name");
    }

    @Test
    void badFiguresAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TierModel("Bad Name", 1, 1, 0, 0, 64, 256, ""));
        assertThrows(IllegalArgumentException.class, () -> new TierModel("t", -1, 1, 0, 0, 64, 256, ""));
        assertThrows(IllegalArgumentException.class, () -> new TierModel("t", 1, 1, 0, -1, 64, 256, ""));
        assertThrows(IllegalArgumentException.class, () -> new TierModel("t", 1, 1, 0, 0, 48, 256, ""),
                "lines are powers of two");
        assertThrows(IllegalArgumentException.class, () -> new TierModel("t", 1, 1, 0, 0, 64, 96, ""),
                "media blocks are whole lines");
    }
}
