package org.vmlab.api.migration;

import java.util.List;
import java.util.Objects;

/**
 * How a migration ended: what an engine returns, what experiments record and compare.
 *
 * @param id            the plan's id
 * @param status        a final status ({@link MigrationStatus#isFinal()})
 * @param engine        the engine's {@code vmlab.name}
 * @param ordering      the ordering policy's {@code vmlab.name}
 * @param vmId          the migrated VM
 * @param destination   the destination endpoint as text, or {@code local} for this node
 * @param totalTimeMs   from start to the end of the migration, without the time a requested
 *                      verification spends comparing memory (instrumentation, as QEMU's
 *                      {@code total-time} has none)
 * @param setupTimeMs   from start to the first page sent
 * @param downtimeMs    how long the VM ran nowhere (source paused to destination running)
 * @param bytesNetwork  bytes sent over the network path
 * @param bytesSan      bytes the destination read over the SAN path
 * @param rounds        transfer rounds done
 * @param pagesSent     pages sent in all rounds, including re-sent ones
 * @param pagesResent   pages sent more than once
 * @param pagesZero     pages sent as zero pages
 * @param verified      the outcome of verification
 * @param failureReason one sentence saying why, for a failed or cancelled migration; otherwise
 *                      {@code null}
 * @param roundRows     one row per round, copied
 * @param timeline      one sample per second, copied
 * @param postcopyTimeMs from the destination's resume to the last missing page's arrival; 0
 *                       without a postcopy phase
 * @param pagesRequested pages the destination faulted on and fetched on demand during postcopy
 * @param blockTimeMs    time guest tasks on the destination spent waiting for faulted pages
 *                       (QEMU's postcopy blocktime)
 */
public record MigrationReport(String id, MigrationStatus status, String engine, String ordering,
                              String vmId, String destination, long totalTimeMs, long setupTimeMs,
                              long downtimeMs, long bytesNetwork, long bytesSan, int rounds,
                              long pagesSent, long pagesResent, long pagesZero,
                              Verification verified, String failureReason,
                              List<RoundStats> roundRows, List<TimelineSample> timeline,
                              long postcopyTimeMs, long pagesRequested, long blockTimeMs,
                              PageCacheTransfer pageCache) {

    /** {@link #destination()} of a migration to this node's own receiver. */
    public static final String LOCAL = "local";

    public MigrationReport {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        if (!status.isFinal()) {
            throw new IllegalArgumentException("a report needs a final status, not " + status);
        }
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(ordering, "ordering");
        Objects.requireNonNull(vmId, "vmId");
        Objects.requireNonNull(destination, "destination");
        nonNegative("totalTimeMs", totalTimeMs);
        nonNegative("setupTimeMs", setupTimeMs);
        nonNegative("downtimeMs", downtimeMs);
        nonNegative("bytesNetwork", bytesNetwork);
        nonNegative("bytesSan", bytesSan);
        nonNegative("rounds", rounds);
        nonNegative("pagesSent", pagesSent);
        nonNegative("pagesResent", pagesResent);
        nonNegative("pagesZero", pagesZero);
        Objects.requireNonNull(verified, "verified");
        boolean failed = status == MigrationStatus.FAILED || status == MigrationStatus.CANCELLED;
        if (failed && (failureReason == null || failureReason.isBlank())) {
            throw new IllegalArgumentException("a " + status + " report needs a failureReason");
        }
        if (!failed && failureReason != null) {
            throw new IllegalArgumentException(
                    "a " + status + " report has no failureReason: '" + failureReason + "'");
        }
        nonNegative("postcopyTimeMs", postcopyTimeMs);
        nonNegative("pagesRequested", pagesRequested);
        nonNegative("blockTimeMs", blockTimeMs);
        roundRows = roundRows == null ? List.of() : List.copyOf(roundRows);
        timeline = timeline == null ? List.of() : List.copyOf(timeline);
        pageCache = pageCache == null ? PageCacheTransfer.NONE : pageCache;
    }

    /** A report without page-cache transfer (the canonical form before 1.5). */
    public MigrationReport(String id, MigrationStatus status, String engine, String ordering,
                           String vmId, String destination, long totalTimeMs, long setupTimeMs,
                           long downtimeMs, long bytesNetwork, long bytesSan, int rounds,
                           long pagesSent, long pagesResent, long pagesZero,
                           Verification verified, String failureReason,
                           List<RoundStats> roundRows, List<TimelineSample> timeline,
                           long postcopyTimeMs, long pagesRequested, long blockTimeMs) {
        this(id, status, engine, ordering, vmId, destination, totalTimeMs, setupTimeMs, downtimeMs,
                bytesNetwork, bytesSan, rounds, pagesSent, pagesResent, pagesZero, verified,
                failureReason, roundRows, timeline, postcopyTimeMs, pagesRequested, blockTimeMs,
                PageCacheTransfer.NONE);
    }

    /** A report without a postcopy phase. */
    public MigrationReport(String id, MigrationStatus status, String engine, String ordering,
                           String vmId, String destination, long totalTimeMs, long setupTimeMs,
                           long downtimeMs, long bytesNetwork, long bytesSan, int rounds,
                           long pagesSent, long pagesResent, long pagesZero,
                           Verification verified, String failureReason,
                           List<RoundStats> roundRows, List<TimelineSample> timeline) {
        this(id, status, engine, ordering, vmId, destination, totalTimeMs, setupTimeMs, downtimeMs,
                bytesNetwork, bytesSan, rounds, pagesSent, pagesResent, pagesZero, verified,
                failureReason, roundRows, timeline, 0, 0, 0, PageCacheTransfer.NONE);
    }

    public boolean isCompleted() {
        return status == MigrationStatus.COMPLETED;
    }

    private static void nonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0: " + value);
        }
    }
}
