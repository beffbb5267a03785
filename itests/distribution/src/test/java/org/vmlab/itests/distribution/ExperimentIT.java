package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Experiments as a researcher runs them on a fresh distribution: a sweep with repetitions into
 * results/, its table, plots and provenance; the stored spec run again; an interrupted sweep
 * resumed without losing a finished run; a malformed spec refused with nothing written.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class ExperimentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Small enough to run in seconds: 2 orderings × 2 repetitions of a 128 MiB guest. */
    private static final String SPEC = String.join("\n",
            "name: small",
            "title: two orderings, a small guest",
            "repetitions: 2",
            "warmup: 2s",
            "sweep: {ordering: [sequential, update-history]}",
            "baseline: {ordering: sequential}",
            "vms:",
            "  - {name: vm, memory: 128M, vcpus: 1, workload: memory, params: {working-set: 16M, rate: 16M}}",
            "steps:",
            "  - wait: 1s",
            "  - migrate: {vm: vm, ordering: '${ordering}', rate: 2g, verify: true}",
            "metrics: [migrate.pagesSent, migrate.downtimeMs, migrate.totalTimeMs, vm.opsMean]",
            "") + "\n";

    private static Distribution dist;
    private static Path specs;
    private static String firstRun;

    @BeforeAll
    static void unpack() throws Exception {
        Path work = Path.of(System.getProperty("vmlab.work.dir")).resolveSibling("dist-it-experiment");
        dist = Distribution.unpack(Path.of(System.getProperty("vmlab.dist.archive")), work);
        Files.writeString(dist.home.resolve("etc/org.vmlab.transport.cfg"), "port = 0\n");
        specs = work.resolve("specs");
        Files.createDirectories(specs);
        Files.writeString(specs.resolve("small.yaml"), SPEC);
    }

    @AfterAll
    static void stop() throws Exception {
        if (dist != null) {
            dist.close();
            assertTrue(dist.karafProcess().isEmpty(), "the Karaf JVM is gone");
        }
    }

    private static List<String> resultsTree() throws Exception {
        Path results = dist.home.resolve("results");
        if (!Files.exists(results)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(results)) {
            return s.map(p -> results.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    @Order(1)
    void aMalformedSpecIsOneErrorLineAndChangesNothing() throws Exception {
        Files.writeString(specs.resolve("bad.yaml"), SPEC.replace("ordering: '${ordering}'", "ordering: '${ordering}', engine: warp-drive"));
        Distribution.Result r = dist.vmlabIn(specs, "experiment:run", "bad.yaml");
        assertEquals(1, r.exit(), r.stderr());
        assertEquals("", r.stdout());
        List<String> lines = r.stderr().lines().filter(l -> !l.startsWith("vmlab:")).toList();
        assertEquals(1, lines.size(), r.stderr());
        assertTrue(lines.get(0).startsWith("Error: bad.yaml:11: steps[1].migrate.engine: no engine 'warp-drive'; engines: precopy"), lines.get(0));
        assertEquals(List.of(), resultsTree(), "nothing written");
        JsonNode vms = JSON.readTree(dist.vmlab("vm:list", "--json").stdout());
        assertEquals(0, vms.size(), "no VM created");

        Distribution.Result dry = dist.vmlabIn(specs, "experiment:run", "--dry-run", "--json", "small.yaml");
        assertEquals(0, dry.exit(), dry.stderr());
        JsonNode plan = JSON.readTree(dry.stdout());
        assertEquals(4, plan.get("runs").size());
        assertEquals("ordering=update-history", plan.get("runs").get(3).get("config").asText());
        assertEquals(List.of(), resultsTree(), "a dry run writes nothing");
    }

    @Test
    @Order(2)
    void aSweepLeavesATablePlotsAndProvenance() throws Exception {
        Distribution.Result r = dist.vmlabIn(specs, "experiment:run", "--json", "small.yaml");
        assertEquals(0, r.exit(), r.stderr() + r.stdout());
        JsonNode result = JSON.readTree(r.stdout());
        firstRun = result.get("summary").get("runId").asText();
        assertEquals("completed", result.get("summary").get("status").asText());
        assertEquals(4, result.get("summary").get("runsDone").asInt());
        Path dir = dist.home.resolve("results").resolve(firstRun);
        assertEquals(SPEC, Files.readString(dir.resolve("spec.yaml")), "the spec as run");
        JsonNode table = result.get("table");
        assertEquals(8, table.size(), "2 configurations x 4 metrics");
        JsonNode pages = table.get(0);
        assertEquals("migrate.pagesSent", pages.get("metric").asText());
        assertEquals(2, pages.get("n").asInt());
        assertTrue(pages.get("median").asDouble() >= 128 * 256, "every page crossed: " + pages);
        assertTrue(table.get(4).get("vsBaseline").asDouble() > 0, table.get(4).toString());
        assertTrue(table.get(3).get("median").asDouble() > 0, "the guest's throughput was sampled: " + table.get(3));
        for (String f : List.of("table.csv", "provenance.json", "plan.json", "state.json", "result.json",
                "plots/bars-migrate.pagesSent.png", "plots/bars-migrate.pagesSent.svg", "plots/bars-migrate.pagesSent.csv",
                "plots/timeseries-throughput-opsPerSecond.png", "runs/000-ordering=sequential-r1/migrate.report.json",
                "runs/000-ordering=sequential-r1/migrate.timeline.csv", "runs/000-ordering=sequential-r1/throughput.csv")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        byte[] png = Files.readAllBytes(dir.resolve("plots/bars-migrate.pagesSent.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        assertTrue(Files.readString(dir.resolve("plots/bars-migrate.pagesSent.svg")).contains("<svg"));
        JsonNode provenance = JSON.readTree(dir.resolve("provenance.json").toFile());
        assertTrue(provenance.get("bundles").has("org.vmlab.experiment"), provenance.toString());
        assertTrue(provenance.get("providers").size() > 5);
        assertTrue(provenance.get("machine").get("cores").asInt() > 0);
        assertTrue(provenance.get("jvm").get("version").asText().startsWith("17"));
        assertEquals(3, provenance.get("sessions").get(0).get("loadAtEnd").size(), "1, 5 and 15 minute load at the end");
        assertTrue(JSON.readTree(dist.vmlab("vm:list", "--json").stdout()).isEmpty(), "every VM of the runs was destroyed");

        Distribution.Result list = dist.vmlab("experiment:list", "--json");
        assertEquals(firstRun, JSON.readTree(list.stdout()).get(0).get("runId").asText());
        Distribution.Result show = dist.vmlab("experiment:show", firstRun);
        assertEquals(0, show.exit(), show.stderr());
        assertTrue(show.stdout().contains("migrate.pagesSent") && show.stdout().contains("95% CI"), show.stdout());
    }

    @Test
    @Order(3)
    void theStoredSpecRunsAgainToTheSameTable() throws Exception {
        Path stored = dist.home.resolve("results").resolve(firstRun).resolve("spec.yaml");
        Distribution.Result r = dist.vmlab("experiment:run", "--json", stored.toString());
        assertEquals(0, r.exit(), r.stderr());
        String again = JSON.readTree(r.stdout()).get("summary").get("runId").asText();
        Distribution.Result cmp = dist.vmlab("experiment:compare", "--json", firstRun, again);
        assertEquals(0, cmp.exit(), cmp.stderr());
        JsonNode rows = JSON.readTree(cmp.stdout());
        assertEquals(8, rows.size(), "the same configurations and metrics: " + rows);
        for (JsonNode row : rows) {
            if (row.get("metric").asText().equals("migrate.pagesSent")) {
                // Every page once plus those re-sent: within 10% from one run to the next.
                assertEquals(1.0, row.get("ratio").asDouble(), 0.10, row.toString());
            }
        }
    }

    @Test
    @Order(4)
    void aHotDeployedPolicyIsSweptLikeABuiltInOne() throws Exception {
        Path jar = Path.of(System.getProperty("vmlab.example.jar"));
        Files.copy(jar, dist.home.resolve("deploy").resolve(jar.getFileName()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !dist.vmlab("policy:list", "--family", "ordering").stdout().contains("least-recent-first")) {
            Thread.sleep(500);
        }
        Files.writeString(specs.resolve("deployed.yaml"), SPEC.replace("name: small", "name: deployed")
                .replace("repetitions: 2", "repetitions: 1").replace("update-history]", "least-recent-first]"));
        Distribution.Result r = dist.vmlabIn(specs, "experiment:run", "--json", "deployed.yaml");
        assertEquals(0, r.exit(), r.stderr());
        JsonNode result = JSON.readTree(r.stdout());
        assertEquals("ordering=least-recent-first", result.get("table").get(4).get("config").asText());
        Path run = dist.home.resolve("results").resolve(result.get("summary").get("runId").asText())
                .resolve("runs/001-ordering=least-recent-first-r1/migrate.report.json");
        assertEquals("least-recent-first", JSON.readTree(run.toFile()).get("ordering").asText(), "the migration used the deployed policy");
    }

    @Test
    @Order(5)
    void anInterruptedSweepResumesWithoutLosingAFinishedRun() throws Exception {
        List<String> before = new ArrayList<>(resultsTree());
        ProcessBuilder pb = new ProcessBuilder(dist.home.resolve("bin/vmlab").toString(), "experiment:run", "small.yaml")
                .directory(specs.toFile()).redirectErrorStream(true).redirectOutput(specs.resolve("interrupted.log").toFile());
        Process client = pb.start();
        Path runId = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && runId == null) {
            try (Stream<Path> s = Files.list(dist.home.resolve("results"))) {
                for (Path d : s.toList()) {
                    if (!before.contains(d.getFileName().toString()) && Files.isRegularFile(d.resolve("runs/000-ordering=sequential-r1/run.json"))) {
                        runId = d;
                    }
                }
            }
            Thread.sleep(200);
        }
        assertTrue(runId != null, "a first run finished");
        // What Ctrl-C on bin/vmlab does: the script and its client JVM end, the connection closes,
        // and the instance interrupts the command.
        client.descendants().forEach(ProcessHandle::destroy);
        client.destroy();
        assertTrue(client.waitFor(30, TimeUnit.SECONDS));
        Path state = runId.resolve("state.json");
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && !JSON.readTree(state.toFile()).get("status").asText().equals("interrupted")) {
            Thread.sleep(250);
        }
        assertEquals("interrupted", JSON.readTree(state.toFile()).get("status").asText());
        byte[] kept = Files.readAllBytes(runId.resolve("runs/000-ordering=sequential-r1/run.json"));
        long done;
        try (Stream<Path> s = Files.list(runId.resolve("runs"))) {
            done = s.filter(d -> Files.isRegularFile(d.resolve("run.json"))).count();
        }
        assertTrue(done >= 1 && done < 4, done + " runs finished before the interrupt");
        assertTrue(JSON.readTree(dist.vmlab("vm:list", "--json").stdout()).isEmpty(), "the interrupted run's VMs were destroyed");

        Distribution.Result r = dist.vmlab("experiment:run", "--resume", runId.getFileName().toString(), "--json");
        assertEquals(0, r.exit(), r.stderr());
        JsonNode result = JSON.readTree(r.stdout());
        assertEquals("completed", result.get("summary").get("status").asText());
        assertEquals(4, result.get("summary").get("runsDone").asInt());
        assertArrayEquals(kept, Files.readAllBytes(runId.resolve("runs/000-ordering=sequential-r1/run.json")), "kept as it was");
        JsonNode provenance = JSON.readTree(runId.resolve("provenance.json").toFile());
        assertEquals(2, provenance.get("sessions").size(), "the start and the resume");

        Distribution.Result again = dist.vmlab("experiment:run", "--resume", runId.getFileName().toString());
        assertEquals(1, again.exit());
        assertTrue(again.stderr().startsWith("Error: ") && again.stderr().contains("no run left"), again.stderr());
    }
}
