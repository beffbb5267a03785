package org.vmlab.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.vmlab.api.experiment.AggregateRow;
import org.vmlab.api.experiment.ClaimCheck;
import org.vmlab.api.experiment.ExperimentResult;
import org.vmlab.api.experiment.ExperimentSummary;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.vm.Vm;

/** What the page is sent, as plain maps and lists for Jackson; non-finite numbers as null. */
final class Views {
    private Views() {
    }

    static Map<String, Object> vm(Vm vm) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", vm.id());
        m.put("name", vm.spec().name());
        m.put("backend", vm.backend());
        m.put("state", vm.state().name().toLowerCase(Locale.ROOT));
        m.put("memoryBytes", vm.spec().memoryBytes());
        m.put("vcpus", vm.spec().vcpus());
        m.put("workload", vm.spec().workload());
        vm.workload().ifPresent(w -> {
            m.put("opsPerSecond", num(w.latest().opsPerSecond()));
            m.put("bytesPerSecond", num(w.latest().bytesPerSecond()));
        });
        return m;
    }

    static Map<String, Object> migration(Migration mig, List<TimelineSample> history) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", mig.id());
        m.put("vm", mig.plan().vmId());
        m.put("engine", mig.plan().engine());
        m.put("ordering", mig.plan().ordering());
        m.put("status", mig.status().name().toLowerCase(Locale.ROOT));
        m.put("rounds", mig.rounds().size());
        MigrationReport report = finished(mig);
        List<TimelineSample> timeline = report != null && !report.timeline().isEmpty() ? report.timeline() : history;
        m.put("samples", timeline.stream().map(Views::sample).toList());
        if (report != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("totalTimeMs", report.totalTimeMs());
            r.put("downtimeMs", report.downtimeMs());
            r.put("bytesNetwork", report.bytesNetwork());
            r.put("rounds", report.rounds());
            r.put("pagesSent", report.pagesSent());
            r.put("pagesResent", report.pagesResent());
            r.put("verified", report.verified().name().toLowerCase(Locale.ROOT).replace('_', ' '));
            r.put("failureReason", report.failureReason());
            m.put("report", r);
        }
        return m;
    }

    private static MigrationReport finished(Migration mig) {
        CompletableFuture<MigrationReport> f = mig.result().toCompletableFuture();
        return f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
    }

    private static Map<String, Object> sample(TimelineSample s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", num(s.seconds()));
        m.put("bytesNetwork", s.bytesNetwork());
        m.put("dirtyPagesPerSecond", num(s.dirtyPagesPerSecond()));
        m.put("guestOpsPerSecond", num(s.guestOpsPerSecond()));
        m.put("guestBytesPerSecond", num(s.guestBytesPerSecond()));
        return m;
    }

    static Map<String, Object> summary(ExperimentSummary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runId", s.runId());
        m.put("name", s.name());
        m.put("status", s.status());
        m.put("runsDone", s.runsDone());
        m.put("runsTotal", s.runsTotal());
        m.put("started", s.started().toString());
        return m;
    }

    static Map<String, Object> result(ExperimentResult r) {
        Map<String, Object> m = summary(r.summary());
        m.put("baseline", r.baseline());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (AggregateRow a : r.table()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("config", a.config());
            row.put("metric", a.metric());
            row.put("n", a.n());
            row.put("median", num(a.median()));
            row.put("min", num(a.min()));
            row.put("max", num(a.max()));
            row.put("ciLow", num(a.ciLow()));
            row.put("ciHigh", num(a.ciHigh()));
            row.put("vsBaseline", num(a.vsBaseline()));
            rows.add(row);
        }
        m.put("table", rows);
        List<Map<String, Object>> claims = new ArrayList<>();
        for (ClaimCheck c : r.claims()) {
            claims.add(new LinkedHashMap<>(Map.of("metric", c.metric(), "config", c.config(), "paper", c.paper(),
                    "ours", c.ours(), "verdict", c.verdict())));
        }
        m.put("claims", claims);
        m.put("failures", r.failures());
        m.put("files", r.files().stream().map(Object::toString).toList());
        return m;
    }

    static Double num(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
