package org.vmlab.shell.support;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.BeanSerializer;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
import com.fasterxml.jackson.databind.ser.impl.UnsupportedTypeSerializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

/**
 * Writes JSON for {@code --json} output through Jackson, on one line: maps (insertion order kept),
 * collections, strings, numbers (NaN and infinities as null), booleans, null, records (as objects
 * of their components, in declaration order), enums (lower-case names) and, for anything else, its
 * {@code toString()} as a string.
 */
public final class Json {
    private static final ObjectWriter WRITER = JsonMapper.builder()
            // Records by their components (their fields), not by every is/get-like method they have.
            .visibility(PropertyAccessor.ALL, Visibility.NONE)
            .visibility(PropertyAccessor.FIELD, Visibility.ANY)
            .addModule(new SimpleModule("vmlab-shell-json")
                    .addSerializer(Enum.class, new LowerCaseName())
                    .addSerializer(Double.class, new FiniteOrNull<>(Double.class))
                    .addSerializer(Double.TYPE, new FiniteOrNull<>(Double.TYPE))
                    .addSerializer(Float.class, new FiniteOrNull<>(Float.class))
                    .addSerializer(Float.TYPE, new FiniteOrNull<>(Float.TYPE))
                    .setSerializerModifier(new ToStringUnlessRecord()))
            .build()
            .writer();

    private Json() {
    }

    public static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** Convenience for building ordered objects inline. */
    public static Map<String, Object> object(Object... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must pair up");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    @SuppressWarnings("rawtypes")
    private static final class LowerCaseName extends StdSerializer<Enum> {
        private static final long serialVersionUID = 1L;

        LowerCaseName() {
            super(Enum.class);
        }

        @Override
        public void serialize(Enum value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(value.name().toLowerCase(Locale.ROOT));
        }
    }

    /** JSON has no NaN or infinity: scripts get null rather than a document they cannot parse. */
    private static final class FiniteOrNull<T extends Number> extends StdSerializer<T> {
        private static final long serialVersionUID = 1L;

        FiniteOrNull(Class<T> type) {
            super(type);
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (!Double.isFinite(value.doubleValue())) {
                gen.writeNull();
            } else if (value instanceof Float f) {
                gen.writeNumber(f);
            } else {
                gen.writeNumber(value.doubleValue());
            }
        }
    }

    /** Plain objects that are not records print as their {@code toString()}, not as beans. */
    private static final class ToStringUnlessRecord extends BeanSerializerModifier {
        private static final long serialVersionUID = 1L;

        @Override
        public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription bean,
                                                  JsonSerializer<?> serializer) {
            boolean plainObject = serializer instanceof BeanSerializer || serializer instanceof UnknownSerializer
                    || serializer instanceof UnsupportedTypeSerializer;
            return plainObject && !bean.getBeanClass().isRecord() ? ToStringSerializer.instance : serializer;
        }
    }
}
