package org.vmlab.experiment.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.experiment.PlannedRun;
import org.vmlab.experiment.Fakes;
import org.vmlab.experiment.action.MigrateAction;
import org.vmlab.experiment.action.PauseAction;
import org.vmlab.experiment.spec.SpecException;
import org.vmlab.experiment.spec.SpecReader;

class PlanCheckerTest {
    private static final Installed INSTALLED = new Installed(List.of("emu"), Fakes.catalog(),
            Map.<String, ExperimentAction>of("migrate", new MigrateAction(null, Fakes.catalog()), "pause", new PauseAction()));

    private static CheckedSpec check(String... lines) {
        return new PlanChecker(INSTALLED).check(new SpecReader().parse(Path.of("s.yaml"), "s.yaml", Fakes.lines(lines)));
    }

    private static String refusal(String... lines) {
        return assertThrows(SpecException.class, () -> check(lines)).getMessage();
    }

    private static final String[] VMS = {"vms:", "  - name: vm", "    memory: 64M", "    workload: memory",
            "    params: {working-set: 16M}"};

    private static String[] spec(String... rest) {
        List<String> all = new java.util.ArrayList<>(List.of("name: t", "repetitions: 2"));
        all.addAll(List.of(VMS));
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    @Test
    void aSweepExpandsEveryCombinationWithRepetitionsInterleaved() {
        CheckedSpec c = check(spec("sweep:", "  engine: [precopy, postcopy]", "  ordering: [sequential, update-history]",
                "baseline: {engine: precopy, ordering: sequential}",
                "steps:", "  - migrate: {vm: vm, engine: '${engine}', ordering: '${ordering}', rate: 1g}"));
        List<PlannedRun> runs = c.plan().runs();
        assertEquals(8, runs.size());
        assertEquals(List.of("engine=precopy,ordering=sequential", "engine=precopy,ordering=update-history",
                "engine=postcopy,ordering=sequential", "engine=postcopy,ordering=update-history"), c.plan().configs());
        assertEquals(1, runs.get(3).repetition());
        assertEquals(2, runs.get(4).repetition());
        assertEquals("engine=precopy,ordering=sequential", runs.get(4).config(), "repetition 2 starts over the configurations");
        assertTrue(runs.get(0).baseline() && !runs.get(1).baseline());
        assertEquals("engine=precopy,ordering=sequential", c.baseline());
        assertEquals("engine=precopy,ordering=sequential", c.baselines().get("engine=postcopy,ordering=update-history"));
        Step s = c.configs().get(3).steps().get(0);
        assertEquals(Map.of("vm", "vm", "engine", "postcopy", "ordering", "update-history", "rate", "1g"), s.settings());
        assertEquals(List.of("migrate.totalTimeMs", "migrate.downtimeMs", "migrate.bytesNetwork"), c.plan().metrics(),
                "without metrics, a migration's times and bytes");
    }

    @Test
    void listedConfigurationsFollowTheSweep() {
        CheckedSpec c = check(spec("configs:", "  - {engine: precopy}", "  - {engine: postcopy}",
                "steps:", "  - migrate: {vm: vm, engine: '${engine}'}"));
        assertEquals(List.of("engine=precopy", "engine=postcopy"), c.plan().configs());
        assertEquals("engine=precopy", c.baseline(), "the first configuration without a baseline");
        assertEquals("engine=precopy", c.baselines().get("engine=postcopy"));
    }

    @Test
    void aPartialBaselineGivesEachConfigurationItsOwn() {
        CheckedSpec c = check(spec("sweep:", "  engine: [precopy, postcopy]", "  ordering: [sequential, update-history]",
                "baseline: {ordering: sequential}", "steps:", "  - migrate: {vm: vm, engine: '${engine}', ordering: '${ordering}'}"));
        assertEquals("ordering=sequential", c.baseline());
        assertEquals("engine=postcopy,ordering=sequential", c.baselines().get("engine=postcopy,ordering=update-history"));
        assertEquals("engine=precopy,ordering=sequential", c.baselines().get("engine=precopy,ordering=update-history"));
        assertEquals(2, c.plan().runs().stream().filter(r -> r.baseline() && r.repetition() == 1).count());
    }

    @Test
    void anUnknownEngineInTheLastConfigurationIsFoundBeforeAnythingRuns() {
        String m = refusal(spec("sweep:", "  engine: [precopy, warp-drive]", "steps:",
                "  - migrate: {vm: vm, engine: '${engine}'}"));
        assertEquals("s.yaml:11: steps[0].migrate.engine: no engine 'warp-drive'; engines: precopy, postcopy", m);
    }

    @Test
    void badEngineOptionsAreNamedWithTheirLine() {
        String m = refusal(spec("steps:", "  - migrate:", "      vm: vm", "      engine: postcopy", "      options:",
                "        fault-mode: sometimes"));
        assertTrue(m.startsWith("s.yaml:13: steps[0].migrate.options.fault-mode: option 'fault-mode' of engine 'postcopy'"), m);
        assertTrue(m.contains("blocking, cooperative"), m);
    }

    @Test
    void badWorkloadParametersAndUnknownVmsAreRefused() {
        String m = check(spec("steps:", "  - wait: 1s")).plan().name();
        assertEquals("t", m);
        assertTrue(refusal("name: t", "vms:", "  - {name: vm, memory: 64M, workload: memory, params: {working-set: lots}}",
                "steps:", "  - wait: 1s").startsWith("s.yaml:3: vms[0].params.working-set: parameter 'working-set' of workload 'memory'"));
        assertEquals("s.yaml:9: steps[0].pause.vm: no VM 'other'; VMs: vm", refusal(spec("steps:", "  - pause: other")));
        assertTrue(refusal("name: t", "vms:", "  - {name: vm, memory: 64M, backend: xen}", "steps:", "  - wait: 1s")
                .startsWith("s.yaml:3: vms[0].backend: no backend 'xen'; backends: emu"));
        assertTrue(refusal("name: t", "vms:", "  - {name: vm, memory: lots}", "steps:", "  - wait: 1s")
                .startsWith("s.yaml:3: vms[0].memory: 'lots' is not a size"));
    }

    @Test
    void stepsVariablesBaselineMetricsAndPlotsAreChecked() {
        assertTrue(refusal(spec("steps:", "  - teleport: {vm: vm}")).startsWith("s.yaml:9: steps[0].teleport: unknown action 'teleport'; actions: migrate, pause"));
        assertTrue(refusal(spec("steps:", "  - migrate: {vm: vm, engine: '${engin}'}"))
                .startsWith("s.yaml:9: steps[0].migrate.engine: unknown variable '${engin}'"));
        assertTrue(refusal(spec("sweep: {engine: [precopy]}", "baseline: {engine: postcopy}", "steps:", "  - wait: 1s"))
                .startsWith("s.yaml:9: baseline: matches no configuration"));
        assertEquals("s.yaml:11: metrics[0]: a migration step records totalTimeMs, setupTimeMs, downtimeMs, bytesNetwork, bytesSan, "
                + "rounds, pagesSent, pagesResent, pagesZero, postcopyTimeMs, pagesRequested, blockTimeMs, verified; not 'speed'",
                refusal(spec("steps:", "  - migrate: {vm: vm}", "metrics:", "  - migrate.speed")));
        assertTrue(refusal(spec("steps:", "  - migrate: {vm: vm}", "plots:", "  - {kind: pie}"))
                .startsWith("s.yaml:11: plots[0].kind: a plot's kind is one of timeseries, bars, cdf, histogram, sweep"));
        assertTrue(refusal(spec("steps:", "  - migrate: {vm: vm}", "plots:", "  - {kind: timeseries, series: throughput, column: latency}"))
                .startsWith("s.yaml:11: plots[0].column: series 'throughput' has opsPerSecond, bytesPerSecond"));
        assertTrue(refusal(spec("steps:", "  - wait: 1s", "  - await: nothing")).startsWith("s.yaml:10: steps[1].await: no earlier async step 'nothing'"));
        assertTrue(refusal(spec("steps:", "  - {wait: 1s, pause: vm}")).contains("a step does one thing"));
    }

    @Test
    void vmsAndStepsWithIfExistOnlyInTheirConfigurations() {
        CheckedSpec c = check("name: t", "sweep: {workload: [memory, idle]}", "vms:",
                "  - {if: {workload: memory}, name: vm, memory: 64M, workload: memory, params: {working-set: 16M}}",
                "  - {if: {workload: idle}, name: vm, memory: 32M, workload: idle}",
                "steps:", "  - {if: {workload: memory}, pause: vm}", "  - wait: 1s");
        assertEquals(64L << 20, c.configs().get(0).vms().get(0).memoryBytes());
        assertEquals(32L << 20, c.configs().get(1).vms().get(0).memoryBytes());
        assertEquals(List.of("pause", "wait"), StepReader.ids(c.configs().get(0).steps()));
        assertEquals(List.of("wait"), StepReader.ids(c.configs().get(1).steps()));
        assertTrue(refusal("name: t", "vms:", "  - {if: {mode: a}, name: vm, memory: 64M}", "steps:", "  - wait: 1s")
                .startsWith("s.yaml:3: vms[0].if.mode: 'mode' is not a variable of this configuration"));
    }

    @Test
    void stepsReadTheirTimingAndConditions() {
        CheckedSpec c = check(spec("steps:", "  - {id: m, migrate: {vm: vm}, async: true, at: 2s}",
                "  - {pause: vm, when: {vm: vm, ops-below: 10, timeout: 5s}}", "  - await: m"));
        List<Step> steps = c.configs().get(0).steps();
        assertEquals(java.time.Duration.ofSeconds(2), steps.get(0).at());
        assertTrue(steps.get(0).async());
        assertEquals("pause", steps.get(1).id());
        assertTrue(steps.get(1).when().holds(5) && !steps.get(1).when().holds(50));
        assertEquals("m", steps.get(2).awaits());
        assertFalse(steps.get(1).async());
    }
}
