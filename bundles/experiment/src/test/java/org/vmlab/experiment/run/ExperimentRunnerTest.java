package org.vmlab.experiment.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.experiment.ExperimentListener;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.experiment.Fakes;
import org.vmlab.experiment.plan.CheckedSpec;
import org.vmlab.experiment.plan.Installed;
import org.vmlab.experiment.plan.PlanChecker;
import org.vmlab.experiment.spec.SpecReader;
import org.vmlab.experiment.store.CsvFiles;
import org.vmlab.experiment.store.ResultStore;
import org.vmlab.experiment.store.RunRecord;
import org.vmlab.experiment.store.State;
import org.vmlab.experiment.store.StoredResult;

/** Whole experiments against stand-in VMs: the folder they leave, an interrupt and a resume, a timeout. */
class ExperimentRunnerTest {
    @TempDir
    Path tmp;

    /** Records a report whose downtime depends on the configuration, and blocks where told to. */
    static final class FakeMigration implements ExperimentAction {
        final AtomicInteger calls = new AtomicInteger();
        volatile int blockAt = -1;
        final CountDownLatch blocked = new CountDownLatch(1);

        @Override
        public List<Parameter> parameters() {
            return List.of(Parameter.text("vm", null, "").asRequired(), Parameter.text("mode", null, "").asRequired(),
                    Parameter.duration("sleep", "0", ""));
        }

        @Override
        public void run(ActionContext context, Map<String, String> settings) throws Exception {
            int call = calls.getAndIncrement();
            if (call == blockAt) {
                blocked.countDown();
                Thread.sleep(60_000);
            }
            context.vm(settings.get("vm"));
            context.mark(context.step() + ".start");
            Thread.sleep(Long.parseLong(settings.getOrDefault("sleep", "0").replace("ms", "").replace("s", "000")));
            context.mark(context.step() + ".switchover");
            long downtime = ("a".equals(settings.get("mode")) ? 100 : 50) + call % 3;
            context.report(context.step(), new MigrationReport("m" + call, MigrationStatus.COMPLETED, "precopy", "sequential",
                    "vm", "local", 300, 10, downtime, 1 << 20, 0, 3, 300, 20, 5, Verification.NOT_REQUESTED, null,
                    List.of(), List.of(new TimelineSample(0.5, 1000, 0, 10, 100, 4096), new TimelineSample(1.0, 3000, 0, 5, 90, 4000))));
            context.mark(context.step() + ".end");
        }
    }

    private final FakeMigration fake = new FakeMigration();
    private final Fakes.Directory directory = new Fakes.Directory(250);

    private CheckedSpec spec(String... extra) throws Exception {
        List<String> lines = new java.util.ArrayList<>(List.of("name: t", "title: fake migrations", "repetitions: 3",
                "sweep: {mode: [a, b]}", "baseline: {mode: a}",
                "vms:", "  - {name: vm, memory: 64M, workload: memory}",
                "steps:", "  - {id: mig, fake: {vm: vm, mode: '${mode}'}}", "  - wait: 100ms",
                "metrics: [mig.downtimeMs, vm.opsMean]",
                "paper:", "  reference: a paper",
                "  claims:", "    - {metric: mig.downtimeMs, config: mode=b, expect: lower, paper: 'halved'}",
                "plots:", "  - {kind: bars, metric: mig.downtimeMs}", "  - {kind: timeseries}",
                "  - {kind: timeseries, series: mig.timeline, column: networkBytesPerSecond}",
                "  - {kind: cdf, series: throughput}", "  - {kind: histogram, series: throughput}"));
        lines.addAll(List.of(extra));
        Path file = tmp.resolve("t.yaml");
        Files.writeString(file, Fakes.lines(lines.toArray(String[]::new)));
        Installed installed = new Installed(List.of("emu"), Fakes.catalog(), Map.of("fake", fake));
        return new PlanChecker(installed).check(new SpecReader().read(file, "t.yaml"));
    }

    private ExperimentRunner runner() {
        RunExecutor executor = new RunExecutor(directory, null, Map.of("fake", fake));
        return new ExperimentRunner(executor, new Provenance(() -> Map.of("org.vmlab.experiment", "0.1.0"), Fakes.catalog()));
    }

    @Test
    void aSweepLeavesTheSpecTheRunsATableClaimsPlotsAndProvenance() throws Exception {
        CheckedSpec checked = spec();
        ResultStore store = new ResultStore(tmp.resolve("results"));
        ResultStore.RunFolder folder = store.create(checked, Instant.parse("2026-01-02T03:04:05Z"));
        assertEquals("t-20260102-030405", folder.runId());
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        StoredResult r = runner().run(checked, folder, new ExperimentListener() {
            @Override
            public void started(String runId, int total, int done) {
                events.add("started " + total + " " + done);
            }

            @Override
            public void runEnded(org.vmlab.api.experiment.PlannedRun run, String failure) {
                events.add(run.folderName() + " " + failure);
            }
        });
        assertEquals("started 6 0", events.get(0));
        assertEquals("000-mode=a-r1 null", events.get(1));
        assertEquals(7, events.size());
        assertEquals(Files.readString(tmp.resolve("t.yaml")), Files.readString(folder.dir().resolve("spec.yaml")), "the spec as run, verbatim");
        assertEquals(State.COMPLETED, folder.state().status());
        assertEquals(6, folder.runs().size());
        assertTrue(directory.vms().isEmpty(), "every VM destroyed");
        assertEquals(6, directory.created.stream().distinct().count(), "a fresh VM name per run");

        var downtime = r.table().stream().filter(a -> a.metric().equals("mig.downtimeMs")).toList();
        assertEquals(3, downtime.get(0).n());
        assertEquals(101, downtime.get(0).median());
        assertEquals(51, downtime.get(1).median());
        assertTrue(downtime.get(1).ciLow() < 51 && downtime.get(1).ciHigh() > 51, "a CI with 3 repetitions");
        assertEquals(51 / 101.0, downtime.get(1).vsBaseline(), 1e-9);
        var ops = r.table().stream().filter(a -> a.metric().equals("vm.opsMean")).findFirst().orElseThrow();
        assertEquals(250, ops.median(), 1e-9, "the guest's throughput was sampled");
        assertEquals("holds", r.claims().get(0).verdict());
        assertTrue(r.failures().isEmpty(), r.failures().toString());

        List<java.util.Map<String, String>> table = CsvFiles.read(folder.dir().resolve("table.csv"));
        assertEquals(4, table.size());
        assertEquals("mode=b", table.get(2).get("config"));
        for (String f : List.of("plots/bars-mig.downtimeMs", "plots/timeseries-throughput-opsPerSecond",
                "plots/timeseries-mig.timeline-networkBytesPerSecond", "plots/cdf-throughput-opsPerSecond",
                "plots/histogram-throughput-opsPerSecond")) {
            byte[] png = Files.readAllBytes(folder.dir().resolve(f + ".png"));
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4), f);
            assertTrue(Files.readString(folder.dir().resolve(f + ".svg")).contains("<svg"), f);
            assertTrue(CsvFiles.read(folder.dir().resolve(f + ".csv")).size() > 0, f + ".csv has the plotted data");
            assertTrue(r.files().contains(f + ".png"), r.files().toString());
        }
        Path run0 = folder.dir().resolve("runs/000-mode=a-r1");
        List<java.util.Map<String, String>> marks = CsvFiles.read(run0.resolve("marks.csv"));
        assertEquals(List.of("mig.start", "mig.switchover", "mig.end"), marks.stream().map(m -> m.get("label")).toList());
        assertEquals(2, CsvFiles.read(run0.resolve("mig.timeline.csv")).size());
        assertTrue(Files.isRegularFile(run0.resolve("mig.report.json")));
        String provenance = Files.readString(folder.dir().resolve("provenance.json"));
        for (String key : List.of("\"vmlabVersion\"", "\"providers\"", "\"git\"", "\"jvm\"", "\"qemu\"", "\"kernel\"", "\"cores\"",
                "\"memoryBytes\"", "\"loadAtStart\"", "\"loadAtEnd\"")) {
            assertTrue(provenance.contains(key), key + " in " + provenance);
        }
        assertEquals(1, store.list().size());
    }

    @Test
    void anInterruptKeepsFinishedRunsAndAResumeDoesOnlyTheRest() throws Exception {
        CheckedSpec checked = spec();
        ResultStore store = new ResultStore(tmp.resolve("results"));
        ResultStore.RunFolder folder = store.create(checked, Instant.now());
        fake.blockAt = 2;
        AtomicInteger failedWith = new AtomicInteger();
        Thread t = new Thread(() -> {
            try {
                runner().run(checked, folder, ExperimentListener.NONE);
            } catch (VmlabException e) {
                failedWith.set(e.getMessage().startsWith("interrupted after 2 of 6 runs") ? 1 : 2);
            } catch (Exception e) {
                failedWith.set(3);
            }
        });
        t.start();
        assertTrue(fake.blocked.await(30, java.util.concurrent.TimeUnit.SECONDS));
        t.interrupt();
        t.join(30_000);
        assertEquals(1, failedWith.get());
        assertEquals(State.INTERRUPTED, folder.state().status());
        assertEquals(2, folder.runs().size());
        assertTrue(directory.vms().isEmpty(), "the interrupted run's VM was destroyed");
        byte[] first = Files.readAllBytes(folder.dir().resolve("runs/000-mode=a-r1/run.json"));

        fake.blockAt = -1;
        StoredResult r = runner().run(checked, folder, ExperimentListener.NONE);
        assertEquals(State.COMPLETED, folder.state().status());
        assertEquals(6, folder.runs().size());
        assertArrayEquals(first, Files.readAllBytes(folder.dir().resolve("runs/000-mode=a-r1/run.json")), "a finished run is kept as it was");
        assertEquals(3, r.table().get(0).n());
        assertEquals(6, fake.calls.get() - 1, "runs 0 and 1 were not done again (one call was the interrupted one)");
        String provenance = Files.readString(folder.dir().resolve("provenance.json"));
        assertEquals(2, provenance.split("\"loadAtStart\"").length - 1, "one session per start");
    }

    @Test
    void aRunOverItsTimeoutFailsAndIsCleanedUp() throws Exception {
        CheckedSpec checked = new PlanChecker(new Installed(List.of("emu"), Fakes.catalog(), Map.of("fake", fake)))
                .check(new SpecReader().parse(tmp.resolve("x.yaml"), "x.yaml", Fakes.lines("name: slow", "timeout: 1s",
                        "vms: [{name: vm, memory: 64M}]", "steps:", "  - fake: {vm: vm, mode: a, sleep: 20s}")));
        ResultStore.RunFolder folder = new ResultStore(tmp.resolve("results")).create(checked, Instant.now());
        long start = System.nanoTime();
        StoredResult r = runner().run(checked, folder, ExperimentListener.NONE);
        assertTrue(System.nanoTime() - start < 15e9, "stopped at the timeout");
        RunRecord run = folder.runs().get(0);
        assertEquals(RunRecord.FAILED, run.status());
        assertEquals("timed out after 1 s (the spec's timeout)", run.failure());
        assertEquals(State.FAILED, folder.state().status());
        assertEquals(List.of("000-default-r1: timed out after 1 s (the spec's timeout)"), r.failures());
        assertTrue(directory.vms().isEmpty());
    }

    @Test
    void aSweepPlotShowsTheMetricOverTheSweptNumbers() throws Exception {
        Installed installed = new Installed(List.of("emu"), Fakes.catalog(), Map.of("fake", fake));
        CheckedSpec checked = new PlanChecker(installed).check(new SpecReader().parse(tmp.resolve("s.yaml"), "s.yaml", Fakes.lines(
                "name: s", "sweep: {size: [1, 4K, 16]}", "vms: [{name: vm, memory: 64M}]", "steps:",
                "  - {id: mig, fake: {vm: vm, mode: a}}", "metrics: [mig.downtimeMs]",
                "plots: [{kind: sweep, metric: mig.downtimeMs, x: size}]")));
        ResultStore.RunFolder folder = new ResultStore(tmp.resolve("results")).create(checked, Instant.now());
        StoredResult r = runner().run(checked, folder, ExperimentListener.NONE);
        assertTrue(r.files().contains("plots/sweep-mig.downtimeMs.png"), r.files().toString());
        List<Map<String, String>> csv = CsvFiles.read(folder.dir().resolve("plots/sweep-mig.downtimeMs.csv"));
        assertEquals(List.of("1.0", "4096.0", "16.0"), csv.stream().map(row -> row.get("size")).toList());
        assertEquals(List.of("100.0", "101.0", "102.0"), csv.stream().map(row -> row.get("median")).toList());
        String m = assertThrows(VmlabException.class, () -> new PlanChecker(installed).check(new SpecReader().parse(tmp.resolve("t.yaml"),
                "t.yaml", Fakes.lines("name: t", "sweep: {mode: [a, b]}", "vms: [{name: vm, memory: 64M}]", "steps:",
                        "  - {id: mig, fake: {vm: vm, mode: a}}", "metrics: [mig.downtimeMs]",
                        "plots: [{kind: sweep, metric: mig.downtimeMs, x: mode}]")))).getMessage();
        assertTrue(m.startsWith("t.yaml:7: plots[0].x: 'mode' takes the value 'a', which is not a number"), m);
    }

    @Test
    void aMalformedSpecWritesNothing() throws Exception {
        Path file = tmp.resolve("bad.yaml");
        Files.writeString(file, Fakes.lines("name: t", "vms: [{name: vm, memory: 64M}]", "steps:", "  - fake: {vm: nope, mode: a}"));
        Installed installed = new Installed(List.of("emu"), Fakes.catalog(), Map.of("fake", fake));
        assertThrows(VmlabException.class, () -> new PlanChecker(installed).check(new SpecReader().read(file, "bad.yaml")));
        assertTrue(!Files.exists(tmp.resolve("results")));
        assertTrue(directory.created.isEmpty());
    }
}
