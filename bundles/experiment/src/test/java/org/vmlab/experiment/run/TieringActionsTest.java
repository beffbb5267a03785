package org.vmlab.experiment.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.experiment.ExperimentListener;
import org.vmlab.experiment.Fakes;
import org.vmlab.experiment.action.KvsLoadAction;
import org.vmlab.experiment.action.NvmAccuracyAction;
import org.vmlab.experiment.plan.CheckedSpec;
import org.vmlab.experiment.plan.Installed;
import org.vmlab.experiment.plan.PlanChecker;
import org.vmlab.experiment.spec.SpecException;
import org.vmlab.experiment.spec.SpecReader;
import org.vmlab.experiment.store.CsvFiles;
import org.vmlab.experiment.store.ResultStore;
import org.vmlab.experiment.store.StoredResult;
import org.vmlab.kvs.DefaultKvsService;
import org.vmlab.tiering.DefaultTieringService;
import org.vmlab.tiering.TieringSettings;

/**
 * The {@code nvm-accuracy} and {@code kvs-load} actions: their settings checked with the spec's
 * line, and small experiments run for real (the NVM emulator's microbenchmarks, the tiered KVS and
 * memcached on 127.0.0.1) through the runner, down to the plots.
 */
class TieringActionsTest {
    @TempDir
    Path tmp;

    private DefaultTieringService tiering;
    private DefaultKvsService kvs;
    private Map<String, ExperimentAction> actions;

    @BeforeEach
    void services() throws Exception {
        Path cal = tmp.resolve("calibration.properties");
        // A stored calibration, so no test waits for one; accuracy runs measure the host again anyway.
        Files.writeString(cal, String.join("\n", "clockNanos=40", "spinOvershootNanos=40", "paymentNanos=100",
                "hostReadNanos=100", "hostWriteBackNanos=110", "bufferBytes=67108864", "measuredAtMillis=0", "host=test") + "\n");
        tiering = new DefaultTieringService(new TieringSettings(tmp.resolve("memory"), cal, 10_000, 100));
        kvs = new DefaultKvsService(tiering);
        actions = Map.of("nvm-accuracy", new NvmAccuracyAction(tiering), "kvs-load", new KvsLoadAction(kvs));
    }

    private CheckedSpec check(Map<String, ExperimentAction> installed, String... lines) throws Exception {
        Path file = tmp.resolve("t.yaml");
        Files.writeString(file, Fakes.lines(lines));
        return new PlanChecker(new Installed(List.of("emu"), Fakes.catalog(), installed)).check(new SpecReader().read(file, "t.yaml"));
    }

    private String refusal(Map<String, ExperimentAction> installed, String... lines) {
        return assertThrows(SpecException.class, () -> check(installed, lines)).getMessage();
    }

    @Test
    void badSettingsAreRefusedWithTheirLine() {
        assertTrue(refusal(actions, "name: t", "steps:", "  - id: kvs", "    kvs-load: {mode: dual-lru, connections: 0}")
                .startsWith("t.yaml:4: steps[0].kvs-load.connections: "), "connections out of range");
        String mode = refusal(actions, "name: t", "steps:", "  - kvs-load:", "      mode: warp");
        assertTrue(mode.startsWith("t.yaml:4: steps[0].kvs-load.mode: ") && mode.contains("memcached"), mode);
        String option = refusal(actions, "name: t", "steps:", "  - kvs-load:", "      options: {dram: lots}");
        assertTrue(option.startsWith("t.yaml:4: steps[0].kvs-load.options.dram: "), option);
        String model = refusal(actions, "name: t", "steps:", "  - nvm-accuracy: {model: warp-drive}");
        assertTrue(model.startsWith("t.yaml:3: steps[0].nvm-accuracy.model: ") && model.contains("optane-dcpmm"), model);
        assertTrue(refusal(actions, "name: t", "steps:", "  - id: kvs", "    kvs-load: {}",
                "plots:", "  - {kind: cdf, series: kvs.latency, column: seconds}")
                .startsWith("t.yaml:6: plots[0].column: series 'kvs.latency' has quantile, latencyMicros"));
        assertTrue(refusal(actions, "name: t", "steps:", "  - id: acc", "    nvm-accuracy: {}",
                "plots:", "  - {kind: cdf, series: acc.latency}").startsWith("t.yaml:6: plots[0].series: no series 'acc.latency'"));
        assertTrue(refusal(actions, "name: t", "steps:", "  - id: kvs", "    kvs-load: {}",
                "plots:", "  - {kind: cdf, series: kvs.latency, scale: cubic}")
                .startsWith("t.yaml:6: plots[0].scale: a cdf plot's scale is linear or log, not 'cubic'"));
        assertTrue(refusal(actions, "name: t", "steps:", "  - id: kvs", "    kvs-load: {}",
                "plots:", "  - {kind: bars, metric: kvs.p99Micros, scale: log}")
                .startsWith("t.yaml:6: plots[0].scale: only cdf plots take a scale"));
    }

    @Test
    void anActionWhoseServiceIsAbsentSaysWhatToInstall() {
        Map<String, ExperimentAction> bare = Map.of("nvm-accuracy", new NvmAccuracyAction(null), "kvs-load", new KvsLoadAction(null));
        assertTrue(refusal(bare, "name: t", "steps:", "  - nvm-accuracy: {write: 600}").contains("feature:install vmlab-tiering"));
        assertTrue(refusal(bare, "name: t", "steps:", "  - kvs-load: {mode: nvm-only}").contains("feature:install vmlab-kvs"));
    }

    @Test
    void anAccuracySweepRecordsMeasuredAgainstModelledLatency() throws Exception {
        CheckedSpec spec = check(actions, "name: nvm", "repetitions: 1", "sweep: {write: [400, 800], charge: [symmetric, asymmetric]}",
                "baseline: {charge: symmetric}", "steps:",
                "  - {id: acc, nvm-accuracy: {model: optane-dcpmm, write: '${write}', charge: '${charge}', hops: 20000, buffer: 1m}}",
                "metrics: [acc.writeBackMeasuredNs, acc.writeBackErrorPercent, acc.readMeasuredNs]",
                "plots:", "  - {kind: sweep, metric: acc.writeBackMeasuredNs, x: write}");
        StoredResult r = run(spec);
        assertTrue(r.failures().isEmpty(), r.failures().toString());
        Map<String, Double> measured = new java.util.HashMap<>();
        r.table().stream().filter(a -> a.metric().equals("acc.writeBackMeasuredNs")).forEach(a -> measured.put(a.config(), a.median()));
        // Charged the read latency (374 ns), a symmetric model's write-backs take far less than 800 ns;
        // charged their own, they take about 800 ns (loose bounds: the host is shared).
        assertTrue(measured.get("write=800,charge=asymmetric") > 600, measured.toString());
        assertTrue(measured.get("write=800,charge=symmetric") < measured.get("write=800,charge=asymmetric") - 150, measured.toString());
        assertTrue(measured.get("write=800,charge=asymmetric") > measured.get("write=400,charge=asymmetric") + 200, measured.toString());
        List<Map<String, String>> curve = CsvFiles.read(tmp.resolve("results").resolve(r.runId()).resolve("plots/sweep-acc.writeBackMeasuredNs.csv"));
        assertEquals(4, curve.size(), "two curves (charge) of two points (write)");
        png(r, "plots/sweep-acc.writeBackMeasuredNs.png");
    }

    @Test
    void aKvsLoadRecordsPercentilesAndALatencySeriesForTheCdf() throws Exception {
        List<String> modes = new ArrayList<>(List.of("nvm-only", "dual-lru"));
        if (Files.isExecutable(Path.of("/usr/bin/memcached"))) {
            modes.add(0, "memcached");
        }
        CheckedSpec spec = check(actions, "name: kvs", "repetitions: 1", "sweep: {mode: [" + String.join(", ", modes) + "]}",
                "steps:", "  - id: kvs",
                "    kvs-load: {mode: '${mode}', connections: 2, warmup: 200ms, duration: 2s, keys: 500, value: 512,"
                        + " options: {dram: 4m, nvm: 8m, threads: 2}}",
                "metrics: [kvs.p50Micros, kvs.p99Micros, kvs.peakMicros, kvs.opsPerSecond, kvs.misses]",
                "plots:", "  - {kind: cdf, series: kvs.latency}", "  - {kind: histogram, series: kvs.latency}");
        List<String> notes = java.util.Collections.synchronizedList(new ArrayList<>());
        StoredResult r = run(spec, new ExperimentListener() {
            @Override
            public void note(String line) {
                notes.add(line);
            }
        });
        assertTrue(notes.stream().anyMatch(n -> n.matches("kvs: \\d s of 2, \\d+ requests/s.*")),
                "the load shows its progress every second: " + notes);
        assertTrue(r.failures().isEmpty(), r.failures().toString());
        for (String mode : modes) {
            double ops = median(r, "mode=" + mode, "kvs.opsPerSecond");
            double p50 = median(r, "mode=" + mode, "kvs.p50Micros");
            double p99 = median(r, "mode=" + mode, "kvs.p99Micros");
            assertTrue(ops > 50 && p50 >= 1 && p99 >= p50, mode + ": " + ops + " ops/s, p50 " + p50 + ", p99 " + p99);
            assertEquals(0, median(r, "mode=" + mode, "kvs.misses"), mode + ": every key was stored first");
        }
        Path results = tmp.resolve("results").resolve(r.runId());
        List<Map<String, String>> series = CsvFiles.read(results.resolve("runs/000-mode=" + modes.get(0) + "-r1/kvs.latency.csv"));
        assertEquals(1000, series.size());
        assertTrue(CsvFiles.number(series.get(0), "latencyMicros") <= CsvFiles.number(series.get(999), "latencyMicros"));
        assertEquals(1000 * modes.size(), CsvFiles.read(results.resolve("plots/cdf-kvs.latency-latencyMicros.csv")).size());
        png(r, "plots/cdf-kvs.latency-latencyMicros.png");
        png(r, "plots/histogram-kvs.latency-latencyMicros.png");
        assertTrue(kvs.servers().isEmpty(), "every server the load started is stopped");
    }

    private StoredResult run(CheckedSpec spec) throws Exception {
        return run(spec, ExperimentListener.NONE);
    }

    private StoredResult run(CheckedSpec spec, ExperimentListener listener) throws Exception {
        ResultStore store = new ResultStore(tmp.resolve("results"));
        ResultStore.RunFolder folder = store.create(spec, Instant.now());
        RunExecutor executor = new RunExecutor(new Fakes.Directory(0), null, actions);
        return new ExperimentRunner(executor, new Provenance(() -> Map.of("org.vmlab.experiment", "0.1.0"), Fakes.catalog()))
                .run(spec, folder, listener);
    }

    private static double median(StoredResult r, String config, String metric) {
        return r.table().stream().filter(a -> a.config().equals(config) && a.metric().equals(metric)).findFirst()
                .orElseThrow(() -> new AssertionError(metric + " of " + config + " in " + r.table())).median();
    }

    private void png(StoredResult r, String file) throws Exception {
        byte[] png = Files.readAllBytes(tmp.resolve("results").resolve(r.runId()).resolve(file));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4), file);
    }
}
