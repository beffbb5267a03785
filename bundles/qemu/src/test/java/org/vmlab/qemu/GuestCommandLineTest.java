package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.vmlab.api.VmlabException;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.workloads.MemoryWorkload;

class GuestCommandLineTest {
    private static final VmSpec BASE = VmSpec.of("g", "qemu", 512L << 20);
    /** The workloads bundle's own definitions, as the backend gets them from the service. */
    private static final Optional<List<Parameter>> MEMORY = Optional.of(new MemoryWorkload().parameters());

    private static GuestCommandLine memory(Map<String, String> params) {
        return GuestCommandLine.of(BASE.withWorkload("memory", params), "", MEMORY);
    }

    private static String refusal(Map<String, String> params) {
        return assertThrows(VmlabException.class, () -> memory(params), params.toString()).getMessage();
    }

    @Test
    void mapsTheMemoryWorkloadToKernelOptions() {
        assertEquals("console=ttyS0 panic=-1 quiet vmlab.workload=idle",
                GuestCommandLine.of(BASE, "", Optional.empty()).kernelOptions());
        assertEquals("console=ttyS0 panic=-1 quiet vmlab.workload=idle loglevel=3",
                GuestCommandLine.of(BASE.withWorkload("idle", Map.of()), "loglevel=3", MEMORY).kernelOptions());
        assertEquals("console=ttyS0 panic=-1 quiet vmlab.workload=memory vmlab.mem=128 vmlab.rate=50.000"
                        + " vmlab.dist=zipf vmlab.zipf=0.99 vmlab.check=2.000 vmlab.report=1 vmlab.seed=7",
                memory(Map.of("working-set", "128M", "rate", "50M/s", "distribution", "zipf", "check", "2",
                        "seed", "7")).kernelOptions());
    }

    @Test
    void defaultsAreTheMemoryWorkloadsOwn() {
        // As on emu: rate 0 = as fast as possible, seed 42, a 64 MiB working set, uniform.
        GuestCommandLine c = memory(Map.of());
        assertEquals("console=ttyS0 panic=-1 quiet vmlab.workload=memory vmlab.mem=64 vmlab.rate=max"
                + " vmlab.dist=uniform vmlab.zipf=0.99 vmlab.check=5.000 vmlab.report=1 vmlab.seed=42",
                c.kernelOptions());
        assertEquals(Map.of("working-set", "64M", "rate", "0", "distribution", "uniform", "zipf-s", "0.99",
                "seed", "42", "check", "5"), c.workloadParameters(), "what the guest runs; no fill or tasks");
    }

    @Test
    void badValuesAreRefusedByTheSharedValidatorNamingTheParameter() {
        assertTrue(refusal(Map.of("rate", "fast")).startsWith("VM 'g': parameter 'rate' of workload 'memory' on qemu:"
                + " bad value 'fast'; allowed: bytes per second"), refusal(Map.of("rate", "fast")));
        assertTrue(refusal(Map.of("check", "0")).contains("parameter 'check'"));
        assertTrue(refusal(Map.of("zipf-s", "99")).contains("parameter 'zipf-s'"));
        assertTrue(refusal(Map.of("working-set", "lots")).contains("parameter 'working-set'"));
        assertTrue(refusal(Map.of("working-set", "1G")).contains("does not fit in a 512 MiB qemu guest"),
                refusal(Map.of("working-set", "1G")));
        assertTrue(refusal(Map.of("turbo", "1")).contains("unknown parameter 'turbo'"));
    }

    @Test
    void whatTheGuestProgramCannotHonourIsRefusedInOneLine() {
        String m = refusal(Map.of("fill", "words", "tasks", "4", "distribution", "sequential", "seed", "-1"));
        assertEquals("VM 'g': the memory workload on qemu cannot honour fill=words, tasks=4, distribution=sequential,"
                + " seed=-1 (its guest program vmlab-memwork rewrites whole pages from one task, uniform or zipf,"
                + " with a seed from 0 to 9e15)", m);
        assertFalse(m.contains("\n"));
        assertTrue(refusal(Map.of("fill", "page")).contains("cannot honour fill=page"));
    }

    @Test
    void theMemoryWorkloadMustBeInstalledAndOthersAreEmuOnly() {
        String m = assertThrows(VmlabException.class, () -> GuestCommandLine.of(BASE.withWorkload("memory", Map.of()),
                "", Optional.empty())).getMessage();
        assertTrue(m.contains("not installed (feature vmlab-workloads)"), m);
        m = assertThrows(VmlabException.class, () -> GuestCommandLine.of(BASE.withWorkload("web", Map.of()), "",
                MEMORY)).getMessage();
        assertTrue(m.contains("idle and memory"), m);
    }
}
