package org.vmlab.experiment.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Reads spec files: YAML through Jackson's YAML module (JSON is YAML too, so a {@code .json}
 * spec reads the same way). Unknown fields, wrong types and malformed text are refused naming the
 * file, line and field.
 */
public final class SpecReader {
    /** Specs are small; a larger file is a mistake, not a spec. */
    static final long MAX_BYTES = 1 << 20;

    private final YAMLFactory yaml = new YAMLFactory();
    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    /** Reads {@code file}, naming it {@code label} in messages. */
    public Spec read(Path file, String label) {
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new SpecException(label, 0, null, "larger than " + MAX_BYTES + " bytes; not a spec");
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new SpecException(label, 0, null, "no such file");
        } catch (IOException e) {
            throw new SpecException(label, 0, null, "cannot read it: " + e.getMessage());
        }
        return parse(file, label, text);
    }

    /** Parses spec text as if read from {@code file}. */
    public Spec parse(Path file, String label, String text) {
        Locations locations = read(label, text, Locations::read);
        JsonNode root = read(label, text, mapper::readTree);
        if (root == null || !root.isObject()) {
            throw new SpecException(label, 1, null, "a spec is a mapping of fields (name, vms, steps, ...)");
        }
        SpecFile top;
        try {
            top = mapper.treeToValue(root, SpecFile.class);
        } catch (JsonMappingException e) {
            String pointer = pointer(e);
            throw new SpecException(label, locations.line(pointer), Locations.field(pointer), why(e));
        } catch (JsonProcessingException e) {
            throw malformed(label, e);
        }
        return new Spec(file, label, text, root, top, locations);
    }

    private interface ParserReader<T> {
        T read(JsonParser parser) throws IOException;
    }

    /** One pass of the YAML parser over the text; malformed text is refused with its line. */
    private <T> T read(String label, String text, ParserReader<T> reader) {
        try (JsonParser p = yaml.createParser(text)) {
            return reader.read(p);
        } catch (JsonProcessingException e) {
            throw malformed(label, e);
        } catch (IOException e) {
            throw new SpecException(label, 0, null, e.getMessage());
        }
    }

    private static SpecException malformed(String label, JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        // SnakeYAML's message spans lines, with excerpts of the text; keep the words, on one line.
        String words = e.getOriginalMessage().lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("in '") && !l.startsWith("^") && !l.equals(l.replaceAll("[a-z]", "")))
                .filter(l -> l.startsWith("while") || l.startsWith("expected") || l.startsWith("found") || l.startsWith("could")
                        || l.startsWith("mapping") || l.startsWith("did not") || l.contains(" but "))
                .collect(java.util.stream.Collectors.joining(": "));
        return new SpecException(label, at == null ? 0 : at.getLineNr(), null, "not valid YAML: "
                + (words.isEmpty() ? e.getOriginalMessage().lines().findFirst().orElse("") : words));
    }

    private static String pointer(JsonMappingException e) {
        StringBuilder p = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            p.append('/').append(r.getFieldName() != null ? r.getFieldName() : Integer.toString(r.getIndex()));
        }
        return p.toString();
    }

    private static String why(JsonMappingException e) {
        if (e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "'; known: " + u.getKnownPropertyIds();
        }
        String m = e.getOriginalMessage();
        // Jackson names Java types; a spec author needs to know what to write instead.
        if (m.contains("from Array value")) {
            return "expected a single value, not a list";
        }
        if (m.contains("from Object value")) {
            return "expected a single value, not a mapping";
        }
        if (m.contains("START_ARRAY") || m.contains("from String value") && m.contains("List")) {
            return "expected a list";
        }
        int cut = m.indexOf(" (");
        return cut > 0 ? m.substring(0, cut) : m;
    }
}
