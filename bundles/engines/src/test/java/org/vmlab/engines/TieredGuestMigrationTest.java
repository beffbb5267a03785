package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.tiering.TierLayout;
import org.vmlab.api.tiering.TierStatus;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.tiering.DefaultTieringService;
import org.vmlab.tiering.FirstTouchPolicy;
import org.vmlab.tiering.HotColdPolicy;
import org.vmlab.tiering.TieringSettings;
import org.vmlab.workloads.MemoryWorkload;

/** A guest on DRAM and emulated NVM tiers runs, pays for NVM, and live-migrates verified. */
class TieredGuestMigrationTest {
    static final long MIB = 1 << 20;

    @TempDir
    static Path dir;
    static EngineTestNode node;
    static DefaultTieringService tiering;

    @BeforeAll
    static void setUp() throws Exception {
        node = new EngineTestNode(dir, Duration.ofSeconds(5));
        Path cal = dir.resolve("calibration.properties");
        Files.writeString(cal, "clockNanos=700\nspinOvershootNanos=20\npaymentNanos=600\nhostReadNanos=150\n"
                + "hostWriteBackNanos=160\nbufferBytes=67108864\nmeasuredAtMillis=0\nhost=test\n");
        tiering = new DefaultTieringService(new TieringSettings(dir.resolve("tiers"), cal, 10_000, 50));
        tiering.registerPolicy("hot-cold", new HotColdPolicy());
        tiering.registerPolicy("first-touch", new FirstTouchPolicy());
        node.backend.setTiering(tiering);
    }

    @AfterAll
    static void tearDown() {
        node.close();
        tiering.close();
    }

    @Test
    void aTieredGuestMigratesAndVerifies() throws Exception {
        TierLayout layout = new TierLayout(List.of(TierLayout.Slot.parse("dram=16m"),
                TierLayout.Slot.parse("nvm=48m:optane-dcpmm:write=600ns,write-bw=2G")), "hot-cold", Map.of());
        Vm src = node.backend.create(VmSpec.of("tiered", "emu", 64 * MIB).withVcpus(1)
                .withWorkload("memory", Map.of("rate", "8M", "working-set", "32M", "distribution", "zipf"))
                .withDevices(List.of(layout.toDevice())));
        long deadline = System.currentTimeMillis() + 15_000;
        while (tiering.status(src.id()).orElseThrow().tiers().get(1).usedBytes() == 0
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(100); // the workload first touches its working set, DRAM first
        }
        TierStatus before = tiering.status(src.id()).orElseThrow();
        assertTrue(before.tiers().get(0).usedBytes() > 0 && before.tiers().get(1).usedBytes() > 0,
                "the working set spans both tiers: " + before);
        assertTrue(before.tiers().get(1).counters().chargedNanos() > 0, "NVM accesses were charged: " + before);
        assertEquals(16 * MIB, before.tiers().get(0).capacityBytes());

        MigrationReport r = node.service.start(MigrationPlan.builder(src.id()).verify(true)
                .network(LinkSpec.of(DataRate.parse("1g"))).build(), MigrationListener.NONE)
                .result().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
        assertEquals(Verification.PASSED, r.verified());
        assertTrue(tiering.status(src.id()).isEmpty(), "the source's tiers were closed with it");
        Vm dst = node.backend.vms().stream().filter(v -> v.spec().name().equals("tiered")).findFirst().orElseThrow();
        Thread.sleep(500);
        TierStatus after = tiering.status(dst.id()).orElseThrow();
        assertEquals("hot-cold", after.policy(), "the destination's memory is tiered the same way");
        assertEquals(600, after.tiers().get(1).model().writeLatencyNanos(), "with the same model: " + after);
        assertEquals(2L << 30, after.tiers().get(1).model().writeBytesPerSecond());
        assertTrue(after.tiers().get(0).usedBytes() > 0, "the destination's guest touches its tiers: " + after);
        dst.pause();
        try {
            assertTrue(MemoryWorkload.invariantIn(dst.memory()).check(dst.memory()).holds());
        } finally {
            dst.destroy();
        }
    }
}
