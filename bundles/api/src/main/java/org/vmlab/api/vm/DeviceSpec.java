package org.vmlab.api.vm;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A device of a VM.
 *
 * @param id          unique within the VM, e.g. {@code nic0}; letters, digits, {@code _ . -}
 * @param type        what it is, e.g. {@code nic}, {@code gpu}, {@code nvme}
 * @param passthrough whether it is a host device passed through to the guest; such devices
 *                    carry state no migration can move, so they are detached before a migration
 *                    and attached again after it (see {@code org.vmlab.api.hotplug})
 * @param properties  type-specific settings (e.g. a host PCI address), copied
 */
public record DeviceSpec(String id, String type, boolean passthrough,
                         Map<String, String> properties) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public DeviceSpec {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("bad device id '" + id
                    + "': use 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        Objects.requireNonNull(type, "type");
        if (type.isBlank()) {
            throw new IllegalArgumentException("device type of '" + id + "' is blank");
        }
        properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    /** An emulated (not passed-through) device without properties. */
    public static DeviceSpec of(String id, String type) {
        return new DeviceSpec(id, type, false, Map.of());
    }
}
