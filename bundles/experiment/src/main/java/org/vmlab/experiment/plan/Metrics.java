package org.vmlab.experiment.plan;

import java.util.List;

/**
 * The metrics runs record by themselves: each migration report's numbers under its step's id
 * ({@code migrate.downtimeMs}), and each VM's guest throughput under the VM's name
 * ({@code web.opsMigrating}). Other actions record their own under their step's id.
 */
public final class Metrics {
    /** The numeric fields of a migration report, recorded as {@code <step>.<field>}. */
    public static final List<String> REPORT = List.of("totalTimeMs", "setupTimeMs", "downtimeMs", "bytesNetwork",
            "bytesSan", "rounds", "pagesSent", "pagesResent", "pagesZero", "postcopyTimeMs", "pagesRequested",
            "blockTimeMs", "verified");

    /**
     * Guest throughput of a VM, recorded as {@code <vm>.<name>}: mean ops/s over the run, mean
     * while a migration ran, the lowest second, and mean bytes/s.
     */
    public static final List<String> GUEST = List.of("opsMean", "opsMigrating", "opsMin", "bytesMean");

    /** The time series every run writes: the guest throughput sampler's. */
    public static final String THROUGHPUT = "throughput";

    /** Columns of the throughput series. */
    public static final List<String> THROUGHPUT_COLUMNS = List.of("opsPerSecond", "bytesPerSecond");

    /** Columns of a migration step's {@code <step>.timeline} series. */
    public static final List<String> TIMELINE_COLUMNS = List.of("bytesNetwork", "bytesSan", "networkBytesPerSecond",
            "dirtyPagesPerSecond", "guestOpsPerSecond", "guestBytesPerSecond");

    /** The action whose steps record a latency sample, and that series' suffix and columns. */
    public static final String KVS_LOAD = "kvs-load";
    public static final String LATENCY = ".latency";
    public static final List<String> LATENCY_COLUMNS = List.of("quantile", "latencyMicros");

    private Metrics() {
    }
}
