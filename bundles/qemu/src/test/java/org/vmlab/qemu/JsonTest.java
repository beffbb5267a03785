package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesQmpMessages() {
        Map<String, Object> m = Json.parseObject("{\"return\": {\"status\": \"running\", \"running\": true,"
                + " \"n\": -12, \"x\": 1.5e3, \"big\": 18446744073709551615, \"l\": [1, \"a\\u00e9\\n\", null]}, \"id\": 7}");
        Map<String, Object> r = Json.obj(m, "return");
        assertEquals("running", r.get("status"));
        assertEquals(true, r.get("running"));
        assertEquals(-12L, r.get("n"));
        assertEquals(1500.0, r.get("x"));
        assertEquals(1.8446744073709552E19, r.get("big"));
        List<?> l = (List<?>) r.get("l");
        assertEquals(1L, l.get(0));
        assertEquals("a\u00e9\n", l.get(1));
        assertEquals(null, l.get(2));
        assertEquals(7L, m.get("id"));
    }

    @Test
    void roundTrips() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("execute", "migrate");
        m.put("arguments", Map.of("uri", "exec:cat > 'a \"b\"'\t"));
        m.put("list", List.of(1L, true, "x"));
        assertEquals(m, Json.parse(Json.write(m)));
    }

    @Test
    void rejectsMalformedInput() {
        for (String bad : new String[] {"", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{'a':1}", "{\"a\" 1}",
                "tru", "nul", "01", "1.", "-", "1e", "\"abc", "\"\\x\"", "\"\\u12\"", "\"a\nb\"", "{} x",
                "{\"a\":1}}", "\u0000", "[".repeat(100) + "]".repeat(100)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("bad JSON"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Json.parseObject("[1]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": x}")).getMessage()
                .startsWith("bad JSON at offset 6"), "names where");
    }

    @Test
    void nestingIsBoundedByMaxDepth() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertEquals(1, ((List<?>) Json.parse(ok)).size());
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parse(deep)).getMessage()
                .contains(String.valueOf(Json.MAX_DEPTH)));
    }
}
