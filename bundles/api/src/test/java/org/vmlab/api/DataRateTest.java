package org.vmlab.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DataRateTest {

    @ParameterizedTest
    @CsvSource({
            "1g, 1000000000",
            "1G, 1000000000",
            "1gbit, 1000000000",
            "1 Gbit/s, 1000000000",
            "100m, 100000000",
            "100mbit, 100000000",
            "100Mbps, 100000000",
            "2.5g, 2500000000",
            "800k, 800000",
            "1000000, 1000000",
            "123 bit/s, 123",
            "1t, 1000000000000",
            "' 10m ', 10000000",
            "1.5, 2",
    })
    void parsesRates(String text, long bits) {
        assertEquals(bits, DataRate.parse(text).bitsPerSecond());
    }

    @ParameterizedTest
    @ValueSource(strings = {"unlimited", "UNLIMITED", "0", "0g", "0.0m"})
    void parsesUnlimited(String text) {
        DataRate rate = DataRate.parse(text);
        assertSame(DataRate.UNLIMITED, rate);
        assertTrue(rate.isUnlimited());
        assertEquals(0, rate.bytesPerSecond());
        assertEquals("unlimited", rate.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "g", "fast", "-1g", "1x", "1gb", "1 g b", "1e9", "1,5g", "1..5g",
            ".5g", "1g/s", "1gbits"})
    void rejectsNonRates(String text) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> DataRate.parse(text));
        assertEquals("not a data rate: '" + text + "' (examples: 1g, 100m, 800k)", e.getMessage());
    }

    @Test
    void rejectsNullTooLargeAndTooSmall() {
        assertThrows(IllegalArgumentException.class, () -> DataRate.parse(null));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DataRate.parse("99999999999t")).getMessage().contains("too large"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DataRate.parse("0.1")).getMessage().contains("below 1 bit/s"));
        assertThrows(IllegalArgumentException.class, () -> new DataRate(-1));
    }

    @Test
    void bytesPerSecond() {
        assertEquals(125_000_000, DataRate.parse("1g").bytesPerSecond());
        assertFalse(DataRate.parse("1g").isUnlimited());
    }

    @ParameterizedTest
    @CsvSource({
            "1000000000, 1 Gbit/s",
            "2500000000, 2.5 Gbit/s",
            "100000000, 100 Mbit/s",
            "800000, 800 kbit/s",
            "123, 123 bit/s",
            "1000, 1 kbit/s",
            "1234567, 1.234567 Mbit/s",
            "5000000000000000, 5000 Tbit/s",
    })
    void formats(long bits, String text) {
        DataRate rate = new DataRate(bits);
        assertEquals(text, rate.toString());
        assertEquals(rate, DataRate.parse(rate.toString()));
    }
}
