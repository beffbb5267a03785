package org.vmlab.shell.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.Family;

class SettingViewsTest {
    @Test
    void typesSayWhatTheyAcceptInShort() {
        assertEquals("converge|threshold", SettingViews.type(FakeCatalog.SWITCHOVER));
        assertEquals("integer 1..1024", SettingViews.type(FakeCatalog.STAGES));
        assertEquals("integer >= 0", SettingViews.type(Parameter.integer("seed", null, 0, Long.MAX_VALUE, "seed")));
        assertEquals("integer", SettingViews.type(Parameter.integer("n", null, Long.MIN_VALUE, Long.MAX_VALUE, "n")));
        assertEquals("number 0..1", SettingViews.type(FakeCatalog.SPREAD));
        assertEquals("number 0.5..2.5", SettingViews.type(Parameter.decimal("s", null, 0.5, 2.5, "s")));
        assertEquals("size 4 KiB..1 TiB", SettingViews.type(FakeCatalog.WORKING_SET));
        assertEquals("boolean", SettingViews.type(FakeCatalog.AUTO_CONVERGE));
        assertEquals("bytes/s", SettingViews.type(FakeCatalog.RATE));
        assertEquals("duration", SettingViews.type(Parameter.duration("check", "5s", "check")));
    }

    @Test
    void defaultsShowRequiredAndNone() {
        assertEquals("8", SettingViews.defaultText(FakeCatalog.STAGES));
        assertEquals("-", SettingViews.defaultText(Parameter.integer("seed", null, 0, 10, "seed")));
        assertEquals("required", SettingViews.defaultText(Parameter.text("peers", null, "peers").asRequired()));
    }

    @Test
    void markdownHasOneRowPerSettingAndOneForAProviderWithout() {
        FakeCatalog c = FakeCatalog.standard().add("engine", "plain");
        String md = SettingViews.markdown("engine", c.providers(Family.ENGINE));
        assertEquals("""
                | Engine | Option | Type | Default | Description |
                |---|---|---|---|---|
                | `precopy` | `switchover` | converge\\|threshold | converge | when to stop the guest |
                | `precopy` | `stages` | integer 1..1024 | 8 | stages per round |
                | `precopy` | `auto-converge` | boolean | true | throttle the vCPUs |
                | `postcopy` | `fault-mode` | blocking\\|cooperative | blocking | how a fault waits |
                | `plain` | none | | | |
                """, md);
        assertTrue(SettingViews.markdown("workload", c.providers(Family.WORKLOAD)).startsWith("| Workload | Parameter |"));
    }

    @Test
    void aTableForSettingsAndOneLineForNone() {
        FakeCatalog c = FakeCatalog.standard();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        SettingViews.printTable(c.find(Family.ENGINE, "precopy").orElseThrow(), "migration:start --option", out);
        SettingViews.printTable(c.find(Family.ORDERING, "sequential").orElseThrow(), "migration:start --option", out);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("Options of engine 'precopy' (migration:start --option name=value):\n"), text);
        assertTrue(text.matches("(?s).*Name\\W+Type\\W+Default\\W+Help.*"), text);
        assertTrue(text.matches("(?s).*stages\\W+integer 1..1024\\W+8\\W+stages per round.*"), text);
        assertTrue(text.endsWith("Ordering 'sequential' takes no options.\n"), text);
    }

    @Test
    void jsonDescribesASettingInFull() {
        Map<String, Object> stages = SettingViews.json(FakeCatalog.STAGES);
        assertEquals(List.of("name", "type", "default", "required", "allowed", "min", "max", "description"),
                List.copyOf(stages.keySet()));
        assertEquals("integer", stages.get("type"));
        assertEquals("8", stages.get("default"));
        assertEquals("a whole number from 1 to 1024", stages.get("allowed"));
        assertEquals(List.of("converge", "threshold"), SettingViews.json(FakeCatalog.SWITCHOVER).get("choices"));
        assertEquals(null, SettingViews.json(Parameter.integer("seed", null, 0, Long.MAX_VALUE, "s")).get("max"));
        assertEquals("{\"name\":\"rate\",\"type\":\"bytes/s\",\"default\":\"0\",\"required\":false,\"allowed\":"
                + "\"bytes per second with binary prefixes, 0 for no limit (examples: 0, 50M = 50 MiB/s, 1G)\","
                + "\"description\":\"bytes written per second\"}", Json.write(SettingViews.json(FakeCatalog.RATE)));
    }
}
