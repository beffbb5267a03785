package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.VmSpec;

class GuestCommandLineTest {
    private static final VmSpec BASE = VmSpec.of("g", "qemu", 512L << 20);

    @Test
    void mapsTheMemoryWorkloadToKernelOptions() {
        assertEquals("console=ttyS0 panic=-1 quiet vmlab.workload=idle", GuestCommandLine.of(BASE, ""));
        assertEquals("console=ttyS0 panic=-1 quiet vmlab.workload=idle loglevel=3", GuestCommandLine.of(BASE.withWorkload("idle", Map.of()), "loglevel=3"));
        assertEquals("console=ttyS0 panic=-1 quiet vmlab.workload=memory vmlab.mem=128 vmlab.rate=50.000"
                        + " vmlab.dist=zipf vmlab.zipf=0.99 vmlab.check=2.000 vmlab.report=1 vmlab.seed=7",
                GuestCommandLine.of(BASE.withWorkload("memory", Map.of("working-set", "128M", "rate", "50M/s",
                        "distribution", "zipf", "check", "2", "seed", "7")), ""));
        assertEquals("console=ttyS0 panic=-1 quiet vmlab.workload=memory vmlab.mem=64 vmlab.rate=max"
                        + " vmlab.dist=uniform vmlab.zipf=0.99 vmlab.check=5.000 vmlab.report=1",
                GuestCommandLine.of(BASE.withWorkload("memory", Map.of("rate", "0")), ""));
    }

    @Test
    void rejectsWhatTheGuestCannotRun() {
        for (Map<String, String> bad : new Map[] {Map.of("rate", "fast"), Map.of("distribution", "sequential"),
                Map.of("check", "0"), Map.of("seed", "-1"), Map.of("zipf-s", "99"), Map.of("working-set", "1G"), Map.of("working-set", "lots")}) {
            assertThrows(VmlabException.class, () -> GuestCommandLine.of(BASE.withWorkload("memory", bad), ""),
                    bad.toString());
        }
    }
}
