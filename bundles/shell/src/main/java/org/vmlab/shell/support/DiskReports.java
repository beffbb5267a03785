package org.vmlab.shell.support;

import java.io.PrintStream;

import org.vmlab.api.storage.EvacuationReport;

/** A disk's move (storage:evacuate, migration:start --with-storage) as text. */
public final class DiskReports {
    private DiskReports() {
    }

    public static void print(String what, EvacuationReport r, PrintStream out) {
        out.printf("%s %s in %.1f s: %d blocks, %d already here, %d on demand, %d read ahead, %d in "
                        + "the background, %.1f MiB received%s%n", what, r.status(), r.millis() / 1000.0, r.blocksTotal(),
                r.blocksLocal(), r.blocksOnDemand(), r.blocksReadAhead(), r.blocksBackground(),
                r.bytesReceived() / 1048576.0, r.verified() == null ? "" : r.verified() ? "; verified bit for bit"
                        : "; NOT verified");
        if (r.blocksMissing() > 0) {
            out.println("Blocks never received (" + r.blocksMissing() + "): " + String.join(", ",
                    r.missingRanges()) + (r.missingRanges().size() < r.blocksMissing() ? " ..." : ""));
        }
    }
}
