package org.vmlab.experiment.run;

import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.Verification;

/** The numbers of a migration report by the names specs use. */
final class ReportFields {
    private ReportFields() {
    }

    static double value(MigrationReport r, String field) {
        return switch (field) {
            case "totalTimeMs" -> r.totalTimeMs();
            case "setupTimeMs" -> r.setupTimeMs();
            case "downtimeMs" -> r.downtimeMs();
            case "bytesNetwork" -> r.bytesNetwork();
            case "bytesSan" -> r.bytesSan();
            case "rounds" -> r.rounds();
            case "pagesSent" -> r.pagesSent();
            case "pagesResent" -> r.pagesResent();
            case "pagesZero" -> r.pagesZero();
            case "postcopyTimeMs" -> r.postcopyTimeMs();
            case "pagesRequested" -> r.pagesRequested();
            case "blockTimeMs" -> r.blockTimeMs();
            // 1 passed, 0 failed, NaN not verified: the table's n then counts verified runs.
            case "verified" -> r.verified() == Verification.PASSED ? 1 : r.verified() == Verification.FAILED ? 0 : Double.NaN;
            default -> throw new IllegalArgumentException("no report field '" + field + "'");
        };
    }
}
