package org.vmlab.backend.support.config;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Path;

import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.vmlab.api.ByteSize;

/** Reading a backend's configuration: Karaf's folders, blank settings, sizes, the host's RAM. */
public final class BackendConfig {
    private BackendConfig() {
    }

    /** A framework property ({@code context} may be null), else the system property, else {@code dflt}. */
    public static String property(BundleContext context, String key, String dflt) {
        String v = context == null ? null : context.getProperty(key);
        if (v == null) {
            v = System.getProperty(key);
        }
        return v != null ? v : dflt;
    }

    /** {@code ${karaf.data}}, or {@code <java.io.tmpdir>/vmlab-data} outside Karaf. */
    public static Path karafData(BundleContext context) {
        return Path.of(property(context, "karaf.data", System.getProperty("java.io.tmpdir") + "/vmlab-data"));
    }

    public static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /**
     * A positive size from a setting ({@code 16G}), or {@code dflt} when it is blank; a bad or
     * non-positive one is logged (naming {@code setting}) and {@code dflt} used.
     */
    public static long size(String text, long dflt, String setting, Logger log) {
        if (blank(text)) {
            return dflt;
        }
        try {
            long v = ByteSize.parse(text).bytes();
            if (v > 0) {
                return v;
            }
            log.warn("{} must be more than 0, not '{}'; using the default {}", setting, text, new ByteSize(dflt));
        } catch (IllegalArgumentException e) {
            log.warn("{}: {}; using the default {}", setting, e.getMessage(), new ByteSize(dflt));
        }
        return dflt;
    }

    /** The host's physical RAM in bytes, or -1 when the JVM cannot tell. */
    public static long physicalMemory() {
        try {
            OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                return sun.getTotalMemorySize();
            }
        } catch (LinkageError e) {
            // com.sun.management not visible (an OSGi framework without boot delegation for it)
        }
        return -1;
    }
}
