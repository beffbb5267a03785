package org.vmlab.api.provider;

import java.util.Arrays;
import java.util.Optional;

/**
 * The capability families of vmlab. Every provider service carries {@code vmlab.family} with one
 * of these ids, so the service registry alone tells what is installed.
 */
public enum Family {
    BACKEND("backend", "VM backends (emu, qemu)"),
    WORKLOAD("workload", "guest workloads"),
    ENGINE("engine", "live-migration transfer engines"),
    ORDERING("ordering", "page ordering policies"),
    PAGECACHE("pagecache", "page-cache detectors"),
    STORAGE("storage", "storage pre-caching and storage migration"),
    TIERING("tiering", "memory tiers and tiering policies"),
    /** @since 1.2 */
    KVS("kvs", "tiered key-value servers (memcached protocols)"),
    HOTPLUG("hotplug", "device-passthrough hotplug and guest cooperation"),
    /** @since 1.2 */
    PLACEMENT("placement", "VM placement and consolidation across a cluster");

    private final String id;
    private final String description;

    Family(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** The value of the {@code vmlab.family} service property. */
    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    /** The family with this id, ignoring case. */
    public static Optional<Family> byId(String id) {
        return Arrays.stream(values()).filter(f -> f.id.equalsIgnoreCase(id)).findFirst();
    }
}
