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
        assertEquals("{\"d\":null,\"f\":null,\"ok\":0.25}", Json.write(new Rates(Double.NaN, Float.NEGATIVE_INFINITY, 0.25f)));
        assertEquals("[1.0E-7,1.5E10,-0.0]", Json.write(List.of(1e-7, 1.5e10, -0.0)));
    }

    record Rates(double d, float f, float ok) {
    }

    /** A record with methods that look like getters: only its components are written. */
    record Report(String id, boolean isDefault, Colour colour) {
        public boolean isCompleted() {
            return true;
        }

        public String getSummary() {
            return "not a component";
        }
    }

    @Test
    void recordsAreTheirComponentsInOrder() {
        assertEquals("{\"id\":\"r\",\"isDefault\":true,\"colour\":\"dark_red\"}",
                Json.write(new Report("r", true, Colour.DARK_RED)));
        assertEquals("{\"rows\":[{\"name\":\"a\",\"x\":1,\"y\":2.0,\"ok\":true}],\"none\":null}",
                Json.write(Json.object("rows", List.of(new Point("a", 1, 2, true)), "none", null)));
    }

    @Test
    void otherObjectsAreTheirToString() {
        Object plain = new Object() {
            private final int hidden = 3;

            @Override
            public String toString() {
                return "plain " + hidden;
            }
        };
        assertEquals("[\"plain 3\",\"PT1.5S\",\"Optional[x]\"]",
                Json.write(List.of(plain, java.time.Duration.ofMillis(1500), java.util.Optional.of("x"))));
    }
}
