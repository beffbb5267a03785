package org.vmlab.api.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.DataRate;

class MigrationPlanTest {

    @Test
    void builderDefaults() {
        MigrationPlan plan = MigrationPlan.builder("vm1").build();
        assertTrue(plan.id().matches("m-[0-9a-f]{12}"), plan.id());
        assertEquals("vm1", plan.vmId());
        assertNull(plan.destination());
        assertTrue(plan.isLocal());
        assertNull(plan.engine());
        assertNull(plan.ordering());
        assertNull(plan.detector());
        assertEquals(LinkSpec.UNLIMITED, plan.network());
        assertNull(plan.san());
        assertEquals(Duration.ofMillis(300), plan.downtimeLimit());
        assertEquals(MigrationPlan.DEFAULT_MAX_ROUNDS, plan.maxRounds());
        assertEquals(1, plan.streams());
        assertFalse(plan.compress());
        assertFalse(plan.verify());
        assertEquals(Map.of(), plan.options());
        assertNotEquals(plan.id(), MigrationPlan.builder("vm1").build().id());
    }

    @Test
    void builderSetsEverything() {
        LinkSpec net = new LinkSpec(DataRate.parse("1g"), Duration.ofMillis(5));
        LinkSpec san = LinkSpec.of(DataRate.parse("10g"));
        MigrationPlan plan = MigrationPlan.builder("vm1").id("run-1")
                .destination(Endpoint.parse("node2:7001")).engine("precopy").ordering("hot-last")
                .detector("io-trace").network(net).san(san).downtimeLimit(Duration.ofMillis(50))
                .maxRounds(5).streams(4).compress(true).verify(true)
                .option("postcopy.fault", "eager").option("x", "1").option("x", null).build();
        assertEquals(new MigrationPlan("run-1", "vm1", new Endpoint("node2", 7001), "precopy",
                "hot-last", "io-trace", net, san, Duration.ofMillis(50), 5, 4, true, true,
                Map.of("postcopy.fault", "eager")), plan);
        assertEquals(plan, plan.toBuilder().build());
        assertEquals("other", plan.toBuilder().vmId("other").build().vmId());
    }

    @Test
    void optionsAreCopied() {
        Map<String, String> options = new HashMap<>(Map.of("a", "1"));
        MigrationPlan plan = MigrationPlan.builder("vm1").options(options).build();
        options.put("b", "2");
        assertEquals(Map.of("a", "1"), plan.options());
        assertThrows(UnsupportedOperationException.class, () -> plan.options().put("c", "3"));
    }

    @Test
    void validation() {
        MigrationPlan.Builder b = MigrationPlan.builder("vm1");
        assertMessage("downtimeLimit must be > 0", () -> b.downtimeLimit(Duration.ZERO).build());
        b.downtimeLimit(Duration.ofMillis(300));
        assertMessage("maxRounds must be >= 1: 0", () -> b.maxRounds(0).build());
        b.maxRounds(1);
        assertMessage("streams must be 1..64: 0", () -> b.streams(0).build());
        assertMessage("streams must be 1..64: 65", () -> b.streams(65).build());
        b.streams(1);
        assertMessage("bad migration id 'a b'", () -> b.id("a b").build());
        b.id(null);
        assertMessage("engine is blank", () -> b.engine(" ").build());
        b.engine(null);
        assertMessage("vmId is blank", () -> MigrationPlan.builder("").build());
        assertThrows(NullPointerException.class, () -> MigrationPlan.builder(null).build());
        assertThrows(NullPointerException.class, () -> b.network(null).build());
        b.network(LinkSpec.UNLIMITED);
        b.build();
    }

    @Test
    void linkSpecValidation() {
        assertThrows(IllegalArgumentException.class,
                () -> new LinkSpec(DataRate.UNLIMITED, Duration.ofMillis(-1)));
        assertEquals("1 Gbit/s, 5 ms",
                new LinkSpec(DataRate.parse("1g"), Duration.ofMillis(5)).toString());
    }

    @Test
    void reportRequiresReasonExactlyWhenFailed() {
        assertMessage("a FAILED report needs a failureReason", () -> report(MigrationStatus.FAILED, null));
        assertMessage("a COMPLETED report has no failureReason",
                () -> report(MigrationStatus.COMPLETED, "oops"));
        assertMessage("a report needs a final status, not ACTIVE",
                () -> report(MigrationStatus.ACTIVE, null));
        assertTrue(report(MigrationStatus.COMPLETED, null).isCompleted());
        assertEquals("cancelled by user",
                report(MigrationStatus.CANCELLED, "cancelled by user").failureReason());
    }

    private static MigrationReport report(MigrationStatus status, String reason) {
        return new MigrationReport("m1", status, "precopy", "sequential", "vm1",
                MigrationReport.LOCAL, 10, 1, 1, 100, 0, 1, 1, 0, 0, Verification.NOT_REQUESTED,
                reason, List.of(new RoundStats(0, 1, 0, 0, 4096, 1, 0)), null);
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().startsWith(start), x.getMessage());
    }
}
