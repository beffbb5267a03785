package org.vmlab.experiment.plan;

import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import org.vmlab.experiment.spec.Spec;

/**
 * Fills {@code ${variable}} references in the text values of a template with one
 * configuration's values. The tree keeps its shape, so every pointer still names the spec line it
 * came from.
 */
final class Substitution {
    private static final Pattern REF = Pattern.compile("\\$\\{([^}]*)}");

    private Substitution() {
    }

    /**
     * A copy of {@code template} with the references filled in.
     *
     * @param pointer where {@code template} sits in the spec, for messages
     * @throws org.vmlab.experiment.spec.SpecException naming an unknown variable
     */
    static JsonNode fill(Spec spec, String pointer, JsonNode template, Map<String, String> values) {
        if (template.isTextual()) {
            return TextNode.valueOf(fillText(spec, pointer, template.asText(), values));
        }
        if (template.isObject()) {
            ObjectNode out = ((ObjectNode) template).objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = template.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                out.set(e.getKey(), fill(spec, pointer + "/" + e.getKey(), e.getValue(), values));
            }
            return out;
        }
        if (template.isArray()) {
            ArrayNode out = ((ArrayNode) template).arrayNode();
            for (int i = 0; i < template.size(); i++) {
                out.add(fill(spec, pointer + "/" + i, template.get(i), values));
            }
            return out;
        }
        return template;
    }

    static String fillText(Spec spec, String pointer, String text, Map<String, String> values) {
        Matcher m = REF.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1).strip();
            String value = values.get(name);
            if (value == null) {
                throw spec.error(pointer, "unknown variable '${" + name + "}'"
                        + (values.isEmpty() ? "; the spec sweeps no variable" : "; variables: " + String.join(", ", values.keySet())));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
