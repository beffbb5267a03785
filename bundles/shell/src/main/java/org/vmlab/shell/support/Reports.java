package org.vmlab.shell.support;

import java.io.PrintStream;
import java.util.Locale;

import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;

/** How migration reports and progress read on a terminal. */
public final class Reports {
    private Reports() {
    }

    public static void print(MigrationReport r, PrintStream out) {
        out.printf(Locale.ROOT, "Migration %s of %s: %s (engine %s, ordering %s, to %s)%n", r.id(), r.vmId(),
                r.status().name().toLowerCase(Locale.ROOT), r.engine(), r.ordering(), r.destination());
        if (r.failureReason() != null) {
            out.println("  reason:     " + r.failureReason());
        }
        out.printf(Locale.ROOT, "  total %d ms, setup %d ms, downtime %d ms%n", r.totalTimeMs(), r.setupTimeMs(), r.downtimeMs());
        out.printf(Locale.ROOT, "  %d rounds, %d pages sent (%d re-sent, %d zero), %.1f MiB on the network, %.1f MiB via SAN%n",
                r.rounds(), r.pagesSent(), r.pagesResent(), r.pagesZero(), r.bytesNetwork() / 1048576.0, r.bytesSan() / 1048576.0);
        if (!r.pageCache().detector().isEmpty()) {
            var pc = r.pageCache();
            out.printf(Locale.ROOT, "  page cache (%s, %s): %d restorable pages mapped in %d ms; %d over the SAN,"
                            + " %d over the network (network share %.2f), %d mismatched and re-sent; SAN busy %d ms%n",
                    pc.detector(), pc.split(), pc.mappedPages(), pc.mappingTimeMs(), pc.pagesSan(), pc.pagesNetwork(),
                    pc.networkShare(), pc.pagesMismatched(), pc.sanTimeMs());
        }
        if (r.postcopyTimeMs() > 0 || r.pagesRequested() > 0) {
            out.printf(Locale.ROOT, "  postcopy %d ms: %d pages fetched on a fault, guest blocked %d ms in all%n",
                    r.postcopyTimeMs(), r.pagesRequested(), r.blockTimeMs());
        }
        out.println("  verified:   " + r.verified().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        if (!r.roundRows().isEmpty()) {
            ShellTable t = new ShellTable();
            t.column("Round").alignRight();
            t.column("Pages").alignRight();
            t.column("Re-sent").alignRight();
            t.column("Zero").alignRight();
            t.column("MiB").alignRight();
            t.column("ms").alignRight();
            t.column("Dirty after").alignRight();
            for (RoundStats s : r.roundRows()) {
                t.addRow().addContent(s.round(), s.pagesSent(), s.pagesResent(), s.pagesZero(),
                        String.format(Locale.ROOT, "%.1f", s.bytes() / 1048576.0), s.durationMs(), s.dirtyPagesAtEnd());
            }
            t.print(out);
        }
    }

    /** One progress line, meant to be rewritten in place with a carriage return. */
    public static String progressLine(String id, TimelineSample s) {
        return String.format(Locale.ROOT, "\r%s  %6.1f s  %8.1f MiB sent  dirty %8.0f pages/s  guest %8.1f MiB/s ",
                id, s.seconds(), s.bytesNetwork() / 1048576.0, s.dirtyPagesPerSecond(), s.guestBytesPerSecond() / 1048576.0);
    }
}
