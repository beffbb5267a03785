package org.vmlab.tiering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.tiering.FrameTiers;
import org.vmlab.api.tiering.TierLayout;
import org.vmlab.api.tiering.TierStatus;

/** Tiered guest frames under each policy. */
class FrameTiersTest {
    static final int FRAMES = 4096; // 16 MiB: 4 MiB DRAM + 12 MiB NVM

    @TempDir
    Path dir;

    static TierLayout layout(String policy, Map<String, String> options) {
        return new TierLayout(List.of(TierLayout.Slot.parse("dram=4m"), TierLayout.Slot.parse("nvm=12m:optane-dcpmm")),
                policy, options);
    }

    @Test
    void staticPlacesByAddressFirstTouchFillsTheFastTierFirst() throws Exception {
        DefaultTieringService s = TieringTestSupport.service(dir, 100);
        try (FrameTiers st = s.frameTiers("vm-static", FRAMES, layout("static", Map.of()));
             FrameTiers ft = s.frameTiers("vm-ft", FRAMES, layout("first-touch", Map.of()))) {
            for (int f = FRAMES - 1; f >= FRAMES - 1024; f--) {
                st.access(f, 8, false);
                ft.access(f, 8, false);
            }
            TierStatus a = st.status();
            assertEquals(0, a.tiers().get(0).usedBytes(), "the top frames are NVM's by address");
            assertEquals(1024L * 4096, a.tiers().get(1).usedBytes());
            TierStatus b = ft.status();
            assertEquals(1024L * 4096, b.tiers().get(0).usedBytes(), "first touched, placed in DRAM");
            assertEquals(FRAMES - 1024, b.framesUnplaced());
            for (int f = 0; f < FRAMES; f++) {
                ft.access(f, 8, true);
            }
            assertEquals(4L << 20, ft.status().tiers().get(0).usedBytes(), "DRAM is full, not over");
            assertEquals(12L << 20, ft.status().tiers().get(1).usedBytes());
        } finally {
            s.close();
        }
    }

    @Test
    void hotColdPromotesHotFramesAndDemotesColdOnes() throws Exception {
        DefaultTieringService s = TieringTestSupport.service(dir, 20);
        try (FrameTiers ft = s.frameTiers("vm-hc", FRAMES, layout("hot-cold", Map.of("hot-threshold", "2")))) {
            for (int f = 0; f < FRAMES; f++) {
                ft.access(f, 8, false); // frames 0..1023 land in DRAM, the rest in NVM
            }
            long deadline = System.currentTimeMillis() + 10_000;
            int hot0 = FRAMES - 512;
            while (System.currentTimeMillis() < deadline) {
                for (int f = hot0; f < FRAMES; f++) {
                    ft.access(f, 8, true); // the last 512 frames are hot
                }
                Thread.sleep(5);
                if (ft.status().promotions() >= 512) {
                    break;
                }
            }
            TierStatus st = ft.status();
            assertTrue(st.promotions() >= 512, "the hot frames moved up: " + st);
            assertTrue(st.demotions() >= 512, "cold frames made room: " + st);
            assertEquals(4L << 20, st.tiers().get(0).usedBytes(), "DRAM stays full, never over");
            assertTrue(st.tiers().get(1).counters().writes() > 0, "demotions wrote to NVM");
        } finally {
            s.close();
        }
    }

    @Test
    void badLayoutsAndPoliciesAreRefused() throws Exception {
        DefaultTieringService s = TieringTestSupport.service(dir, 100);
        try {
            assertThrows(IllegalArgumentException.class, () -> s.frameTiers("x", 1000, layout("static", Map.of())),
                    "sizes must add up to the memory");
            assertThrows(VmlabException.class, () -> s.frameTiers("x", FRAMES, layout("magic", Map.of())));
            assertThrows(IllegalArgumentException.class,
                    () -> s.frameTiers("x", FRAMES, layout("hot-cold", Map.of("hot-threshold", "0"))));
            assertThrows(IllegalArgumentException.class, () -> TierLayout.Slot.parse("dram:1G"));
            try (FrameTiers one = s.frameTiers("dup", FRAMES, layout("static", Map.of()))) {
                assertThrows(VmlabException.class, () -> s.frameTiers("dup", FRAMES, layout("static", Map.of())));
            }
            assertTrue(s.status("dup").isEmpty(), "closed memories are forgotten");
        } finally {
            s.close();
        }
    }
}
