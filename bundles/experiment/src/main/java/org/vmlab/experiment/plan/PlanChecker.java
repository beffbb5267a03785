package org.vmlab.experiment.plan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.experiment.ExperimentPlan;
import org.vmlab.api.experiment.PlannedRun;
import org.vmlab.experiment.spec.Spec;
import org.vmlab.experiment.spec.SpecFile;

/**
 * Checks a spec against what is installed and expands it into runs. Every configuration is filled
 * in and checked, so a mistake in the last one of a sweep is found before the first one runs.
 */
public final class PlanChecker {
    static final int MAX_REPETITIONS = 1000;
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private final Installed installed;

    public PlanChecker(Installed installed) {
        this.installed = installed;
    }

    public CheckedSpec check(Spec spec) {
        SpecFile top = spec.top();
        if (top.name() == null || !top.name().matches("[A-Za-z0-9][A-Za-z0-9_-]{0,39}")) {
            throw spec.error("/name", top.name() == null ? "missing: every spec has a name (it starts the run id)"
                    : "bad name '" + top.name() + "': up to 40 letters, digits, '_' or '-'");
        }
        int repetitions = top.repetitions() == null ? 1 : top.repetitions();
        if (repetitions < 1 || repetitions > MAX_REPETITIONS) {
            throw spec.error("/repetitions", "must be 1.." + MAX_REPETITIONS + ", not " + repetitions);
        }
        Duration warmup = StepReader.duration(spec, "/warmup", top.warmup());
        Duration timeout = StepReader.duration(spec, "/timeout", top.timeout());
        if (timeout != null && timeout.isZero()) {
            throw spec.error("/timeout", "must be more than 0");
        }
        // A spec may create no VM: the emulator's accuracy and the KVS load run on the node itself.
        if (top.steps() == null || top.steps().isEmpty()) {
            throw spec.error("/steps", "missing: a spec has at least one step");
        }
        List<Map<String, String>> values = Sweep.configurations(spec);
        Map<String, String> wanted = baselineValues(spec, values);
        Map<String, String> baselines = Baselines.of(values, wanted);
        List<RunConfig> configs = new ArrayList<>();
        for (Map<String, String> v : values) {
            String label = Sweep.label(v);
            List<VmPlan> vms = vms(spec, v);
            configs.add(new RunConfig(label, v, label.equals(baselines.get(label)), vms, steps(spec, v, vms)));
        }
        List<String> metrics = metrics(spec, configs.get(0));
        new FigureChecker(spec, configs, metrics).check();
        List<PlannedRun> runs = new ArrayList<>();
        // Repetitions interleave configurations, so a drift of the machine spreads over all of them.
        for (int r = 1; r <= repetitions; r++) {
            for (RunConfig c : configs) {
                runs.add(new PlannedRun(runs.size(), c.label(), c.values(), r, c.baseline()));
            }
        }
        ExperimentPlan plan = new ExperimentPlan(top.name(), top.title(), top.figure(), spec.file(), runs, metrics);
        return new CheckedSpec(spec, plan, configs, Sweep.label(wanted), baselines, repetitions,
                warmup == null ? Duration.ZERO : warmup, timeout == null ? DEFAULT_TIMEOUT : timeout);
    }

    /** The baseline values: as given, else all of the first configuration's. */
    private static Map<String, String> baselineValues(Spec spec, List<Map<String, String>> configs) {
        Map<String, String> wanted = spec.top().baseline();
        if (wanted == null || wanted.isEmpty()) {
            return configs.get(0);
        }
        for (String k : wanted.keySet()) {
            if (configs.stream().noneMatch(c -> c.containsKey(k))) {
                throw spec.error("/baseline/" + k, "'" + k + "' is not a variable of the sweep or the configs");
            }
        }
        if (configs.stream().noneMatch(c -> Baselines.matches(c, wanted))) {
            throw spec.error("/baseline", "matches no configuration; configurations: "
                    + String.join("; ", configs.stream().map(Sweep::label).toList()));
        }
        return wanted;
    }

    private List<VmPlan> vms(Spec spec, Map<String, String> values) {
        List<VmPlan> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        if (spec.top().vms() == null || spec.top().vms().isEmpty()) {
            return out;
        }
        for (int i = 0; i < spec.top().vms().size(); i++) {
            String p = "/vms/" + i;
            if (!Conditions.applies(spec, p, spec.top().vms().get(i), values)) {
                continue;
            }
            JsonNode filled = Substitution.fill(spec, p, spec.top().vms().get(i), values);
            VmPlan vm = new VmChecker(spec, installed).check(p, filled);
            if (!names.add(vm.name())) {
                throw spec.error(p + "/name", "VM '" + vm.name() + "' is declared twice");
            }
            out.add(vm);
        }
        if (out.isEmpty()) {
            throw spec.error("/vms", "configuration '" + Sweep.label(values) + "' has no VM: every VM's 'if' excludes it");
        }
        return out;
    }

    private List<Step> steps(Spec spec, Map<String, String> values, List<VmPlan> vms) {
        List<Step> out = new ArrayList<>();
        Map<String, Integer> idCount = new HashMap<>();
        Set<String> vmNames = new HashSet<>();
        vms.forEach(v -> vmNames.add(v.name()));
        Map<String, Step> byId = new LinkedHashMap<>();
        for (int i = 0; i < spec.top().steps().size(); i++) {
            String p = "/steps/" + i;
            if (!Conditions.applies(spec, p, spec.top().steps().get(i), values)) {
                continue;
            }
            JsonNode filled = Substitution.fill(spec, p, spec.top().steps().get(i), values);
            Step s = StepReader.read(spec, p, filled, installed.actions().keySet(), idCount);
            if (byId.put(s.id(), s) != null) {
                throw spec.error(p + "/id", "step id '" + s.id() + "' is used twice");
            }
            if (s.when() != null && !vmNames.contains(s.when().vm())) {
                throw spec.error(p + "/when/vm", "no VM '" + s.when().vm() + "'; VMs: " + String.join(", ", new java.util.TreeSet<>(vmNames)));
            }
            if (Step.AWAIT.equals(s.kind())) {
                Step target = byId.get(s.awaits());
                if (target == null || target == s || !target.async()) {
                    throw spec.error(p + "/await", "no earlier async step '" + s.awaits() + "'");
                }
            }
            if (s.isAction()) {
                checkAction(spec, p + "/" + s.kind(), s, vmNames);
            }
            out.add(s);
        }
        return out;
    }

    private void checkAction(Spec spec, String pointer, Step s, Set<String> vmNames) {
        String vm = s.settings().get("vm");
        if (vm != null && !vmNames.contains(vm)) {
            throw spec.error(pointer + "/vm", "no VM '" + vm + "'; VMs: " + String.join(", ", new java.util.TreeSet<>(vmNames)));
        }
        ExperimentAction action = installed.actions().get(s.kind());
        try {
            action.check(s.kind(), s.settings());
        } catch (IllegalArgumentException e) {
            String why = e.getMessage();
            // Point at the setting the action names, where it names one.
            throw spec.error(settingPointer(pointer, s.settings(), why), why);
        }
    }

    /** The setting a refusal names in quotes (by name, else by value); the action itself if none. */
    static String settingPointer(String pointer, Map<String, String> settings, String why) {
        if (why == null) {
            return pointer;
        }
        for (String key : settings.keySet()) {
            String leaf = key.substring(key.lastIndexOf('.') + 1);
            if (why.contains("'" + key + "'") || why.contains("'" + leaf + "'")) {
                return pointer + "/" + key.replace('.', '/');
            }
        }
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (!e.getValue().isEmpty() && why.contains("'" + e.getValue() + "'")) {
                return pointer + "/" + e.getKey().replace('.', '/');
            }
        }
        return pointer;
    }

    private static List<String> metrics(Spec spec, RunConfig first) {
        List<String> given = spec.top().metrics();
        List<String> out = new ArrayList<>();
        if (given == null || given.isEmpty()) {
            for (Step s : first.steps()) {
                if ("migrate".equals(s.kind())) {
                    out.add(s.id() + ".totalTimeMs");
                    out.add(s.id() + ".downtimeMs");
                    out.add(s.id() + ".bytesNetwork");
                }
            }
            return out;
        }
        for (int i = 0; i < given.size(); i++) {
            String m = given.get(i);
            MetricNames.check(spec, "/metrics/" + i, m, first);
            if (out.contains(m)) {
                throw spec.error("/metrics/" + i, "metric '" + m + "' is listed twice");
            }
            out.add(m);
        }
        return out;
    }
}
