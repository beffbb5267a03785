package org.vmlab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.hotplug.AgentReply;
import org.vmlab.api.hotplug.AgentRequest;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.emu.EmuBackend;

/** The mpi workload over an ivshmem pass-through device: fast path, exactly-once, the agent. */
class MpiFastPathTest extends EmuTestSupport {

    private static final Duration T = Duration.ofSeconds(10);

    private List<MpiRun> job(int ranks, boolean device, long iterations, String messageSize) throws IOException {
        int[] ports = new int[ranks];
        for (int i = 0; i < ranks; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                ports[i] = s.getLocalPort();
            }
        }
        if (device) {
            try (var f = new java.io.RandomAccessFile(dir.resolve("fabric").toFile(), "rw")) {
                f.setLength(16L << 20);
            }
        }
        List<MpiRun> runs = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            List<String> peers = new ArrayList<>();
            for (int p = 0; p < ranks; p++) {
                if (p != r) {
                    peers.add("127.0.0.1:" + ports[p]);
                }
            }
            Map<String, String> params = new HashMap<>(Map.of("rank", "" + r, "listen", "" + ports[r],
                    "peers", String.join(",", peers), "compute-ms", "0.2", "message-size", messageSize,
                    "iterations", "" + iterations, "memory", "4M"));
            List<DeviceSpec> devices = device
                    ? List.of(new DeviceSpec("ib0", "ivshmem", true, Map.of("path", dir.resolve("fabric").toString())))
                    : List.of();
            Vm vm = backend.create(VmSpec.of("rank" + r, EmuBackend.NAME, 32 * MiB).withDevices(devices)
                    .withWorkload("mpi", params));
            runs.add((MpiRun) vm.workload().orElseThrow());
        }
        return runs;
    }

    private static String expectedResult(int rank, int ranks, long iterations) {
        long sum = 0;
        for (int p = 0; p < ranks; p++) {
            for (long i = 0; p != rank && i < iterations; i++) {
                sum += MessageLedger.value(p, i);
            }
        }
        return Long.toHexString(sum);
    }

    @Test
    void threeRanksExchangeEveryMessageOnceThroughTheFastPath() throws IOException {
        List<MpiRun> runs = job(3, true, 300, "16K");
        await("300 iterations", 30_000, () -> runs.stream().allMatch(MpiRun::finished));
        for (MpiRun r : runs) {
            assertTrue(r.fastPath(), "fast path on " + r.vm().id());
            assertEquals(600, r.delivered(), "delivered on " + r.vm().id());
            assertEquals(0, r.lost());
            assertEquals(0, r.corrupt());
        }
        assertEquals(expectedResult(0, 3, 300), runs.get(0).result());
        assertEquals(expectedResult(2, 3, 300), runs.get(2).result());
    }

    @Test
    void withoutTheDeviceTheSameJobGivesTheSameResultOverTcp() throws IOException {
        List<MpiRun> runs = job(3, false, 100, "8K");
        await("100 iterations", 30_000, () -> runs.stream().allMatch(MpiRun::finished));
        assertFalse(runs.get(1).fastPath());
        assertEquals(expectedResult(1, 3, 100), runs.get(1).result());
        assertEquals(0, runs.get(1).lost());
    }

    @Test
    void agentHoldsEveryRankAtOneBarrierClosesThePathAndResumes() throws IOException {
        List<MpiRun> runs = job(3, true, 0, "4K");
        await("some iterations", 10_000, () -> runs.get(0).iterations() > 20);
        List<AgentReply> held = new ArrayList<>();
        for (MpiRun r : runs) {
            held.add(r.handle(AgentRequest.of("prepare"), T));
        }
        String at = held.get(0).values().get("iteration");
        for (int round = 0; round < 20 && !held.stream().allMatch(h -> h.values().get("iteration").equals(held.get(0).values().get("iteration"))); round++) {
            for (int i = 0; i < runs.size(); i++) {
                held.set(i, runs.get(i).handle(AgentRequest.of("prepare"), T));
            }
        }
        at = held.get(0).values().get("iteration");
        for (int i = 0; i < runs.size(); i++) {
            assertEquals(at, held.get(i).values().get("iteration"), "rank " + i + " held at the same barrier");
            AgentReply closed = runs.get(i).handle(new AgentRequest("close", Map.of("iteration", at)), T);
            assertTrue(closed.ok(), closed.message());
        }
        long before = runs.get(0).iterations();
        sleep(200);
        assertEquals(before, runs.get(0).iterations(), "held ranks do not advance");
        assertFalse(runs.get(0).fastPath());
        AgentReply refused = runs.get(0).handle(new AgentRequest("close", Map.of("iteration", "-5")), T);
        assertFalse(refused.ok());
        for (MpiRun r : runs) {
            assertTrue(r.handle(AgentRequest.of("resume"), T).ok());
        }
        await("progress after resume", 10_000, () -> runs.get(0).iterations() > before + 20);
        assertTrue(runs.get(0).fastPath(), "the device is still attached: the path re-opens on resume");
        AgentReply status = runs.get(1).handle(AgentRequest.of("status"), T);
        assertEquals("0", status.values().get("lost"));
        assertFalse(runs.get(0).handle(AgentRequest.of("reboot"), T).ok());
    }
}
