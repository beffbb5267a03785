package org.vmlab.qemu;

import java.math.BigInteger;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * QMP's JSON through Jackson, strict as RFC 8259 (Jackson's defaults: no trailing commas, single
 * quotes, comments, bare words or bad escapes; nothing after the value). Objects read as
 * insertion-ordered {@code Map<String, Object>}, arrays as {@code List<Object>}, numbers as
 * {@code Long} when they are integers that fit, else {@code Double}; strings, booleans and
 * {@code null} as themselves. A malformed document, or one nested deeper than {@value #MAX_DEPTH},
 * is a {@link JsonException}, never a hang.
 */
public final class Json {
    /** Deeper nesting is refused, so a hostile peer cannot overflow the stack. */
    public static final int MAX_DEPTH = 64;

    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final ObjectReader READER = MAPPER.readerFor(Object.class);
    private static final ObjectWriter WRITER = MAPPER.writer();

    private Json() {
    }

    /** A malformed document. */
    public static final class JsonException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        JsonException(String message) {
            super(message);
        }
    }

    /** Parses exactly one JSON value (surrounding whitespace allowed). */
    public static Object parse(String text) {
        try {
            return longsAndDoubles(READER.readValue(text));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new JsonException("bad JSON" + (at == null ? "" : " at offset " + at.getCharOffset()) + ": "
                    + e.getOriginalMessage());
        }
    }

    /**
     * Jackson reads integers as Integer, Long or BigInteger by size (its USE_LONG_FOR_INTS fails on
     * unsigned 64-bit values, which QMP sends for sizes): make them Long, or Double past 64 bits.
     */
    @SuppressWarnings("unchecked")
    private static Object longsAndDoubles(Object v) {
        if (v instanceof Integer i) {
            return i.longValue();
        } else if (v instanceof BigInteger b) {
            return b.doubleValue();
        } else if (v instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).replaceAll((k, x) -> longsAndDoubles(x));
        } else if (v instanceof List<?> l) {
            ((List<Object>) l).replaceAll(Json::longsAndDoubles);
        }
        return v;
    }

    /** Parses a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new JsonException("expected a JSON object, got " + (v == null ? "null" : v.getClass().getSimpleName()));
        }
        return (Map<String, Object>) v;
    }

    /**
     * Writes maps, iterables, strings, numbers, booleans and null as compact JSON. Jackson takes
     * about 1.2 us for a QMP command where the hand-written writer took 0.4 to 0.6 us
     * (bench/transport.sh); a command's round trip to QEMU takes 0.2 to 0.4 ms, so that cannot be
     * seen, and one library reads and writes QMP.
     */
    public static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    // ------------------------------------------------------------ access helpers

    /** A member that must be an object (an empty map if absent). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Map<String, Object> m, String key) {
        Object v = m == null ? null : m.get(key);
        return v instanceof Map ? (Map<String, Object>) v : Collections.emptyMap();
    }

    /** A numeric member as a long, or {@code dflt} if absent or not a number. */
    static long num(Map<String, Object> m, String key, long dflt) {
        Object v = m == null ? null : m.get(key);
        return v instanceof Number n ? n.longValue() : dflt;
    }

    static String str(Map<String, Object> m, String key) {
        Object v = m == null ? null : m.get(key);
        return v instanceof String s ? s : null;
    }
}
