package org.vmlab.experiment.spec;

import java.nio.file.Path;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A spec file read and bound, with what is needed to name the line of any later complaint.
 *
 * @param file      the file as read
 * @param label     how messages name the file (as the user gave it)
 * @param text      the file's text, stored verbatim with the results
 * @param root      the parsed document
 * @param top       its top level, bound
 * @param locations the line of each pointer
 */
public record Spec(Path file, String label, String text, JsonNode root, SpecFile top, Locations locations) {
    public Spec {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(top, "top");
        Objects.requireNonNull(locations, "locations");
    }

    /** A refusal naming the line of {@code pointer} and its field. */
    public SpecException error(String pointer, String why) {
        return new SpecException(label, locations.line(pointer), Locations.field(pointer), why);
    }
}
