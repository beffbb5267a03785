package org.vmlab.tiering;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the emulator keeps its memory and calibration, and how it pays and rebalances.
 *
 * @param memoryDir         folder of tier regions (sparse files, unlinked once mapped)
 * @param calibrationFile   the stored calibration
 * @param thresholdNanos    a thread pays its delay debt once it reaches this
 * @param rebalanceMillis   time between two rebalances of a tiered memory
 */
public record TieringSettings(Path memoryDir, Path calibrationFile, long thresholdNanos, long rebalanceMillis) {

    public TieringSettings {
        if (thresholdNanos < 0 || thresholdNanos > 1_000_000) {
            throw new IllegalArgumentException("the debt threshold must be 0..1000000 ns: " + thresholdNanos);
        }
        if (rebalanceMillis < 1 || rebalanceMillis > 600_000) {
            throw new IllegalArgumentException("the rebalance interval must be 1..600000 ms: " + rebalanceMillis);
        }
    }

    /** The defaults under {@code data}: memory in /dev/shm where there is one. */
    public static TieringSettings defaults(Path data) {
        Path shm = Path.of("/dev/shm");
        Path mem = Files.isDirectory(shm) && Files.isWritable(shm) ? shm.resolve("vmlab-tiering")
                : data.resolve("vmlab/tiering/memory");
        return new TieringSettings(mem, data.resolve("vmlab/tiering/calibration.properties"), 10_000, 100);
    }
}
