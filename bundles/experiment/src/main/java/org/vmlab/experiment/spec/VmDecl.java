package org.vmlab.experiment.spec;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One VM of a configuration, as the spec writes it (every value text, so a sweep variable can
 * stand anywhere).
 *
 * @param name     the name steps use
 * @param backend  the {@code vmlab.backend}; default: the default backend
 * @param memory   guest memory, e.g. {@code 256M}
 * @param vcpus    default 1
 * @param disk     size of a fresh disk image the run creates for it, e.g. {@code 1G}; none if absent
 * @param diskFill what the fresh disk holds: {@code zero} (default) or {@code random} (the same
 *                 incompressible bytes every run, so files read through the page cache are not
 *                 zero pages an engine would elide)
 * @param workload the workload's {@code vmlab.name}; idle if absent
 * @param params   the workload's parameters
 * @param only     the VM exists only in the configurations with these values (spec key {@code if})
 */
public record VmDecl(String name, String backend, String memory, String vcpus, String disk,
                     @JsonProperty("disk-fill") String diskFill, String workload,
                     Map<String, String> params, @JsonProperty("if") Map<String, String> only) {
    public VmDecl {
        params = params == null ? Map.of() : Map.copyOf(params);
    }
}
