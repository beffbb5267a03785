package org.vmlab.api.workload;

import java.util.Objects;

/**
 * One parameter a workload accepts, for help text and completion.
 *
 * @param name         e.g. {@code rate}
 * @param defaultValue the value used when none is given, or {@code null} if it must be given
 * @param description  one line saying what it does and in which unit
 */
public record ParameterInfo(String name, String defaultValue, String description) {
    public ParameterInfo {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("parameter name is blank");
        }
        description = description == null ? "" : description;
    }

    /** Whether the parameter has no default and so must be given. */
    public boolean isRequired() {
        return defaultValue == null;
    }
}
