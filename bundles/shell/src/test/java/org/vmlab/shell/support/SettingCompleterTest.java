package org.vmlab.shell.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vmlab.shell.support.FakeCatalog.line;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.console.Candidate;
import org.junit.jupiter.api.Test;

class SettingCompleterTest {
    private static EngineOptionCompleter engineOptions() {
        EngineOptionCompleter c = new EngineOptionCompleter();
        c.catalog = FakeCatalog.standard();
        return c;
    }

    private static WorkloadParamCompleter workloadParams() {
        WorkloadParamCompleter c = new WorkloadParamCompleter();
        c.catalog = FakeCatalog.standard();
        return c;
    }

    private static List<String> strings(SettingCompleter c, String typed) {
        List<String> out = new ArrayList<>();
        c.complete(null, line(typed), out);
        return out;
    }

    @Test
    void optionsOfTheDefaultEngineAndOrderingWhenNoneIsNamed() {
        assertEquals(List.of("switchover=", "stages=", "auto-converge=", "help"),
                strings(engineOptions(), "migration:start --option "));
    }

    @Test
    void optionsOfTheEngineAndOrderingOnTheLine() {
        assertEquals(List.of("fault-mode=", "spread=", "help"),
                strings(engineOptions(), "migration:start --engine postcopy -o spread --option "));
        assertEquals(List.of("fault-mode="), strings(engineOptions(), "migration:start -e postcopy --option fa"));
        // An engine that does not exist offers no options, only help (and the ordering's).
        assertEquals(List.of("help"), strings(engineOptions(), "migration:start -e nope --option "));
    }

    @Test
    void candidatesLeaveTheValueOpenAndSayWhoseOptionItIs() {
        List<Candidate> out = new ArrayList<>();
        engineOptions().completeCandidates(null, line("migration:start --engine postcopy --option "), out);
        Candidate fault = out.stream().filter(c -> c.value().equals("fault-mode=")).findFirst().orElseThrow();
        assertFalse(fault.complete(), "no space after name=, the value follows");
        assertEquals("engine 'postcopy'", fault.group());
        assertEquals("how a fault waits", fault.descr());
        assertTrue(out.stream().anyMatch(c -> c.value().equals("help") && c.complete()));
    }

    @Test
    void workloadParametersOfTheWorkloadOnTheLineOrOfAll() {
        assertEquals(List.of("rate=", "working-set=", "help"), strings(workloadParams(), "vm:create --param "));
        assertEquals(List.of("help"), strings(workloadParams(), "vm:create --workload idle --param "));
        assertEquals(List.of("working-set="), strings(workloadParams(), "vm:create -w memory -p wo"));
    }

    @Test
    void providerNamesOfTheFamilyTyped() {
        ProviderNameCompleter c = new ProviderNameCompleter();
        c.catalog = FakeCatalog.standard();
        List<String> out = new ArrayList<>();
        c.complete(null, line("policy:info engine "), out);
        assertEquals(List.of("postcopy", "precopy"), out.stream().map(String::strip).sorted().toList());
        out.clear();
        c.complete(null, line("policy:info nofamily "), out);
        assertEquals(List.of(), out);
    }
}
