package org.vmlab.shell.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    record Point(String name, long x, double y, boolean ok) {
    }

    enum Colour { DARK_RED }

    @Test
    void writesScalarsCollectionsAndRecords() {
        assertEquals("null", Json.write(null));
        assertEquals("[1,\"a\",true,null]", Json.write(java.util.Arrays.asList(1, "a", true, null)));
        assertEquals("{\"name\":\"p\",\"x\":3,\"y\":1.5,\"ok\":false}", Json.write(new Point("p", 3, 1.5, false)));
        assertEquals("{\"b\":[],\"a\":{}}", Json.write(Json.object("b", List.of(), "a", Map.of())));
        assertEquals("\"dark_red\"", Json.write(Colour.DARK_RED));
    }

    @Test
    void escapesStrings() {
        assertEquals("\"q\\\"b\\\\n\\nt\\tc\\u0001\"", Json.write("q\"b\\n\nt\tc\u0001"));
    }

    @Test
    void nonFiniteNumbersBecomeNull() {
        assertEquals("[null,null]", Json.write(List.of(Double.NaN, Double.POSITIVE_INFINITY)));
    }
}
