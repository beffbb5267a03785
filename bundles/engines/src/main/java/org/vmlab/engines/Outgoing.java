package org.vmlab.engines;

import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.ordering.RoundContext;
import org.vmlab.api.vm.Vm;

/**
 * The parts of one outgoing migration that its phases (precopy rounds, precopy switchover,
 * postcopy) share; {@link TransferRun} makes them and ends them.
 *
 * @param engineName the engine's name, for thread names and the report
 * @param link       the connections to the destination
 * @param sender     sends pages over them and counts
 * @param stale      pages whose destination copy may be out of date
 * @param history    per-page dirty history from the syncs so far
 * @param log        the VM's dirty log, started
 * @param order      the ordering policy's order, checked
 * @param telemetry  what the migration measures
 */
record Outgoing(String engineName, MigrationPlan plan, MigrationContext context, EngineOptions options, Vm vm,
                SourceLink link, PageSender sender, StalePages stale, ArrayPageHistory history, DirtyLog log,
                PageOrder order, Telemetry telemetry) {

    GuestMemory memory() {
        return vm.memory();
    }

    /** @throws Failures.Cancelled if the user cancelled */
    void checkCancelled() {
        if (context.isCancelled()) {
            throw new Failures.Cancelled();
        }
    }

    /** The ordering policy's order of {@code toSend} in {@code round}. */
    long[] order(int round, PageSet toSend) {
        return order.of(new RoundContext(round, toSend, history, options.seedFor(plan), options.ordering()));
    }

    /** What the ordering policy holds back from {@code round} of {@code toSend}. */
    PageSet holdBack(int round, PageSet toSend) {
        return order.holdBack(new RoundContext(round, toSend, history, options.seedFor(plan), options.ordering()));
    }

    /** Syncs the dirty log into the stale pages and the history; returns what it found. */
    PageSet sync() {
        PageSet dirty = log.sync();
        stale.mark(dirty);
        history.record(dirty);
        return dirty;
    }

    /** The link's rate limit in bytes per second, or what a send of {@code bytes} in {@code nanos} achieved. */
    double linkBytesPerSecond(long bytes, long nanos) {
        long limit = plan.network().rate().bitsPerSecond() / 8;
        return limit > 0 ? limit : bytes * 1e9 / Math.max(1, nanos);
    }

    String threadName(String what) {
        return "vmlab-" + engineName + "-" + what + "-" + plan.id();
    }
}
