package org.vmlab.backend.support.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.Vcpus;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.vm.PauseResult;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.MemoryInvariant;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;

class BackendVmTest {
    private final VmRegistry<TestVm> registry = new VmRegistry<>("test");

    /** The smallest backend VM: vCPUs are a flag, the rest is not needed here. */
    static final class TestVm extends BackendVm {
        boolean paused;
        int releases;
        String failure;

        TestVm(VmRegistry<TestVm> registry, String id, long memoryBytes, VmState initial) {
            super(registry, id, VmSpec.of(id, "test", memoryBytes), initial);
        }

        @Override
        protected boolean vcpusPaused() {
            return paused;
        }

        @Override
        protected void release() {
            releases++;
        }

        @Override
        protected String failure() {
            return failure;
        }

        void fail(String why) {
            failure = why;
            setState(VmState.FAILED);
        }

        @Override
        public PauseResult pause() {
            synchronized (lock) {
                requireAlive("pause");
                paused = true;
                setState(VmState.PAUSED);
                return new PauseResult(0, 0);
            }
        }

        void run(WorkloadRun r) {
            setWorkloadRun(r);
        }

        @Override
        public GuestMemory memory() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<BlockDevice> disk() {
            return Optional.empty();
        }

        @Override
        public Optional<GuestOs> guestOs() {
            return Optional.empty();
        }

        @Override
        public Vcpus vcpus() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void resume() {
        }

        @Override
        public void throttle(double fraction) {
        }

        @Override
        public byte[] saveDeviceState() {
            return new byte[0];
        }

        @Override
        public void loadDeviceState(byte[] state) {
        }

        @Override
        public void snapshot(Path file) {
        }
    }

    private TestVm vm(String id, VmState initial) {
        try (VmRegistry<TestVm>.Reservation r = registry.reserve(VmSpec.of(id, "test", 1L << 20), null, 1L << 30)) {
            return r.register(new TestVm(registry, id, 1L << 20, initial));
        }
    }

    @Test
    void listenersHearEveryChangeAndAFailingOneDoesNotStopTheOthers() {
        TestVm vm = vm("a", VmState.RUNNING);
        List<String> heard = new ArrayList<>();
        vm.addStateListener((v, from, to) -> {
            throw new IllegalStateException("a broken listener");
        });
        vm.addStateListener((v, from, to) -> heard.add(from + ">" + to));
        vm.beginMigration();
        assertEquals(VmState.MIGRATING, vm.state());
        VmlabException again = assertThrows(VmlabException.class, vm::beginMigration);
        assertEquals("VM 'a' is already migrating", again.getMessage());
        vm.endMigration();
        vm.pause();
        vm.beginMigration();
        vm.endMigration();
        assertEquals(List.of("RUNNING>MIGRATING", "MIGRATING>RUNNING", "RUNNING>PAUSED", "PAUSED>MIGRATING",
                "MIGRATING>PAUSED"), heard, "migration ends where the vCPUs are");
        assertEquals("test", vm.backend());
        assertEquals("test VM 'a' (paused)", vm.toString());
    }

    @Test
    void onlyRunningOrPausedVmsMigrate() {
        VmlabException e = assertThrows(VmlabException.class, () -> vm("c", VmState.CREATED).beginMigration());
        assertEquals("cannot migrate VM 'c': it is created, not running or paused", e.getMessage());
    }

    @Test
    void aFinalStateIsLeftOnlyForStoppedAndSaysWhy() {
        TestVm vm = vm("f", VmState.RUNNING);
        vm.fail("the guest kernel panicked");
        assertFalse(vm.setState(VmState.RUNNING), "a failed VM does not come back");
        assertEquals(VmState.FAILED, vm.state());
        VmlabException e = assertThrows(VmlabException.class, vm::pause);
        assertEquals("cannot pause VM 'f': it is failed (the guest kernel panicked)", e.getMessage());
        vm.destroy();
        assertEquals(VmState.STOPPED, vm.state());
    }

    @Test
    void destroyStopsTheWorkloadReleasesOnceAndLeavesTheRegistry() {
        TestVm vm = vm("d", VmState.RUNNING);
        int[] stops = {0};
        vm.run(new StubRun() {
            @Override
            public void stop() {
                stops[0]++;
                throw new IllegalStateException("stopping failed"); // logged, destroy goes on
            }
        });
        assertTrue(vm.workload().isPresent());
        vm.destroy();
        vm.destroy();
        assertEquals(1, stops[0]);
        assertEquals(1, vm.releases);
        assertEquals(VmState.STOPPED, vm.state());
        assertTrue(registry.find("d").isEmpty());
        assertThrows(VmlabException.class, vm::pause);
    }

    /** A workload run that does nothing. */
    private abstract static class StubRun implements WorkloadRun {
        @Override
        public String workload() {
            return "stub";
        }

        @Override
        public Map<String, String> parameters() {
            return Map.of();
        }

        @Override
        public List<ThroughputSample> samples() {
            return List.of();
        }

        @Override
        public ThroughputSample latest() {
            return null;
        }

        @Override
        public Optional<MemoryInvariant> invariant() {
            return Optional.empty();
        }

        @Override
        public boolean isRunning() {
            return true;
        }
    }
}
