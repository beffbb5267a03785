package org.vmlab.api.vm;

import java.util.Map;
import java.util.Objects;

/**
 * What a backend is and can do, for {@code vm:backends} and experiment records.
 *
 * @param name           the {@code vmlab.backend} value, e.g. {@code emu}
 * @param accelerator    how guests execute: {@code jvm}, {@code kvm} or {@code tcg}
 * @param maxMemoryBytes the largest guest memory it can create, {@code > 0}
 * @param details        free-form facts (versions, paths), copied
 */
public record BackendInfo(String name, String accelerator, long maxMemoryBytes,
                          Map<String, String> details) {
    public BackendInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(accelerator, "accelerator");
        if (maxMemoryBytes <= 0) {
            throw new IllegalArgumentException("maxMemoryBytes must be > 0: " + maxMemoryBytes);
        }
        details = details == null ? Map.of() : Map.copyOf(details);
    }
}
