package org.vmlab.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

    @ParameterizedTest
    @CsvSource({
            "4096, 4096",
            "0, 0",
            "64k, 65536",
            "64K, 65536",
            "512M, 536870912",
            "512m, 536870912",
            "8G, 8589934592",
            "1T, 1099511627776",
            "8 GiB, 8589934592",
            "8gb, 8589934592",
            "123 B, 123",
            "1.5G, 1610612736",
            "' 4k ', 4096",
    })
    void parsesSizes(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text).bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "k", "big", "-4k", "4x", "4 kbit", "1e3", "4,5k", "0x10"})
    void rejectsNonSizes(String text) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertEquals("not a size: '" + text + "' (examples: 4096, 64k, 512M, 8G)", e.getMessage());
    }

    @Test
    void rejectsFractionalBytesAndOverflow() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("0.3k"))
                .getMessage().contains("whole number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("1.5"))
                .getMessage().contains("whole number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("9000000T"))
                .getMessage().contains("too large"));
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(null));
        assertThrows(IllegalArgumentException.class, () -> new ByteSize(-1));
    }

    @ParameterizedTest
    @CsvSource({
            "8589934592, 8 GiB",
            "536870912, 512 MiB",
            "4096, 4 KiB",
            "123, 123 B",
            "0, 0 B",
            "1024, 1 KiB",
            "1610612736, 1.5 GiB",
            "1099511627776, 1 TiB",
            "4097, 4097 B",
            "1280, 1.25 KiB",
    })
    void formats(long bytes, String text) {
        ByteSize size = new ByteSize(bytes);
        assertEquals(text, size.toString());
        assertEquals(size, ByteSize.parse(size.toString()));
    }

    @Test
    void pagesAndOrder() {
        assertEquals(2, ByteSize.parse("4097").pages());
        assertEquals(2048, ByteSize.parse("8M").pages());
        assertTrue(ByteSize.parse("1G").compareTo(ByteSize.parse("1M")) > 0);
    }
}
