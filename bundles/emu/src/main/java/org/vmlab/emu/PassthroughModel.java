package org.vmlab.emu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;

/**
 * What emu's pass-through device model does: how long a hot-plug and a hot-unplug take
 * (properties {@code attach-ms}, {@code detach-ms}; defaults in the range SymVirt reported for an
 * InfiniBand HCA) and, for an {@code ivshmem} device, the host's shared-memory file
 * ({@code path}, {@code size}) the guests of a job exchange messages through.
 */
final class PassthroughModel {
    static final String PREPARE = "prepare";
    static final String CLOSE = "close";
    static final String DETACHED = "detached";
    static final String ATTACHED = "attached";

    static final long DEFAULT_ATTACH_MS = 1000;
    static final long DEFAULT_DETACH_MS = 300;
    static final long DEFAULT_SHM_BYTES = 64L << 20;

    private PassthroughModel() {
    }

    static Duration attachTime(DeviceSpec d) {
        return millis(d, "attach-ms", DEFAULT_ATTACH_MS);
    }

    static Duration detachTime(DeviceSpec d) {
        return millis(d, "detach-ms", DEFAULT_DETACH_MS);
    }

    private static Duration millis(DeviceSpec d, String key, long dflt) {
        String v = d.properties().get(key);
        if (v == null || v.isBlank()) {
            return Duration.ofMillis(dflt);
        }
        try {
            long ms = Long.parseLong(v.trim());
            if (ms < 0 || ms > 600_000) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device '" + d.id() + "': " + key + " must be 0..600000 ms, not '" + v + "'");
        }
    }

    /** Creates (sparse) the shared-memory file of an ivshmem device if it is not there yet. */
    static void prepareHost(DeviceSpec d) {
        if (!"ivshmem".equals(d.type())) {
            return;
        }
        String path = d.properties().get("path");
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("ivshmem device '" + d.id() + "' needs a path property (its shared-memory file)");
        }
        long size = DEFAULT_SHM_BYTES;
        String s = d.properties().get("size");
        if (s != null && !s.isBlank()) {
            try {
                size = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                size = -1;
            }
            if (size < 4096 || size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("ivshmem device '" + d.id() + "': size must be a byte count from 4096 to "
                        + Integer.MAX_VALUE + ", not '" + s + "'");
            }
        }
        Path file = Path.of(path);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                if (f.length() < size) {
                    f.setLength(size);
                }
            }
        } catch (IOException e) {
            throw new VmlabException("cannot set up the shared memory " + file + " of device '" + d.id() + "': " + e.getMessage(), e);
        }
    }

    static void sleep(Duration time, long deadline, String what, Vm vm, String deviceId) {
        long end = System.nanoTime() + time.toNanos();
        if (end - deadline > 0) {
            throw new VmlabException("cannot " + what + " device '" + deviceId + "' of VM '" + vm.id() + "' in time: the device takes "
                    + time.toMillis() + " ms, more than is left of the timeout");
        }
        try {
            TimeUnit.NANOSECONDS.sleep(Math.max(0, end - System.nanoTime()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmlabException("interrupted while " + what + "ing device '" + deviceId + "' of VM '" + vm.id() + "'");
        }
    }
}
