package org.vmlab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.workload.Workload;

class ParametersTest extends EmuTestSupport {

    private static void rejects(Workload w, Vm vm, Map<String, String> params, String... mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.start(vm, params));
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "'" + e.getMessage() + "' should mention " + m);
        }
    }

    @Test
    void badParametersGetClearMessages() throws IOException {
        Vm vm = vmWithDisk("params", 32 * MiB, 1, 8 * MiB);
        rejects(memory, vm, Map.of("size", "1G"), "unknown parameter 'size'", "working-set", "distribution", "rate");
        rejects(idle, vm, Map.of("rate", "1"), "unknown parameter 'rate'", "allowed: none");
        rejects(memory, vm, Map.of("working-set", "64Q"), "'working-set'", "64M");
        rejects(memory, vm, Map.of("working-set", "1G"), "'working-set'", "pages");
        rejects(memory, vm, Map.of("rate", "-5"), "'rate'", "50M");
        rejects(memory, vm, Map.of("distribution", "pareto"), "'distribution'", "uniform, zipf, sequential");
        rejects(memory, vm, Map.of("zipf-s", "0"), "'zipf-s'", "out of range", "0.01");
        rejects(memory, vm, Map.of("zipf-s", "abc"), "'zipf-s'", "not a number");
        rejects(web, vm, Map.of("files", "64M"), "'files'", "disk");
        rejects(web, vm, Map.of("files", "4M", "file-size", "8M"), "'file-size'");
        rejects(web, vm, Map.of("warm", "yes"), "'warm'", "true, false");
        rejects(database, vm, Map.of("read-ratio", "1.5"), "'read-ratio'", "0 to 1");
        rejects(database, vm, Map.of("table-size", "1G"), "'table-size'", "disk");
        rejects(database, vm, Map.of("writeback-interval", "soon"), "'writeback-interval'", "500ms");
        rejects(mpi, vm, Map.of("peers", "localhost"), "'peers'", "host:port");
        rejects(mpi, vm, Map.of("peers", "127.0.0.1:99999", "listen", "5000"), "'peers'", "out of range");
        rejects(mpi, vm, Map.of("peers", "127.0.0.1:5000"), "'listen'");
        rejects(mpi, vm, Map.of("rank", "-1"), "'rank'");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            rejects(mpi, vm, Map.of("listen", "" + taken.getLocalPort()), "'listen'", "cannot listen");
        }
        assertNoWorkloadThreads();
    }

    @Test
    void guestWithoutDiskCannotRunFileWorkloads() {
        Vm vm = vm("nodisk", 32 * MiB, 1);
        rejects(web, vm, Map.of("files", "4M"), "'files'", "no disk");
    }

    @Test
    void parametersAreListedWithDefaults() {
        List<Parameter> p = memory.parameters();
        assertEquals(List.of("working-set", "rate", "distribution", "zipf-s", "fill", "seed", "tasks"),
                p.stream().map(Parameter::name).toList());
        assertEquals("64M", p.get(0).defaultValue());
        assertTrue(p.stream().noneMatch(Parameter::required));
        assertTrue(idle.parameters().isEmpty());
        assertEquals("256M", web.parameters().get(0).defaultValue());
        assertEquals("0.7", database.parameters().stream()
                .filter(i -> i.name().equals("read-ratio")).findFirst().orElseThrow().defaultValue());
    }

    @Test
    void zipfSamplerMatchesTheDistribution() {
        int n = 10;
        double s = 1.2;
        ZipfSampler z = new ZipfSampler(n, s);
        SplittableRandom rng = new SplittableRandom(1);
        int draws = 400_000;
        long[] count = new long[n + 1];
        for (int i = 0; i < draws; i++) {
            long k = z.sample(rng);
            assertTrue(k >= 1 && k <= n);
            count[(int) k]++;
        }
        double norm = 0;
        for (int k = 1; k <= n; k++) {
            norm += Math.pow(k, -s);
        }
        for (int k = 1; k <= n; k++) {
            double expected = Math.pow(k, -s) / norm;
            assertEquals(expected, count[k] / (double) draws, 0.004, "rank " + k);
        }
        assertEquals(1, new ZipfSampler(1, 0.99).sample(rng));
        assertThrows(IllegalArgumentException.class, () -> new ZipfSampler(0, 1));
    }

    @Test
    void resumeOfAVmWithoutStateSaysSo() {
        Vm vm = vm("empty", 16 * MiB, 1);
        VmlabException e = assertThrows(VmlabException.class, () -> database.resume(vm, Map.of()));
        assertTrue(e.getMessage().contains("empty") && e.getMessage().contains("database"), e.getMessage());
    }
}
