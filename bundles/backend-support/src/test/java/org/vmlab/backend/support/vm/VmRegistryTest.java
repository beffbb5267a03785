package org.vmlab.backend.support.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.backend.support.vm.BackendVmTest.TestVm;

class VmRegistryTest {
    private static final long MIB = 1L << 20;
    private final VmRegistry<TestVm> registry = new VmRegistry<>("test");

    private static VmSpec spec(String name, long mib) {
        return VmSpec.of(name, "test", mib * MIB);
    }

    private TestVm register(VmRegistry<TestVm>.Reservation r, long mib) {
        return r.register(new TestVm(registry, r.id(), mib * MIB, VmState.RUNNING));
    }

    @Test
    void takenNamesAreRefusedOrGetAFreeSuffix() {
        try (VmRegistry<TestVm>.Reservation r = registry.reserve(spec("web", 1), null, 1L << 30)) {
            register(r, 1);
        }
        VmlabException e = assertThrows(VmlabException.class, () -> registry.reserve(spec("web", 1), null, 1L << 30));
        assertEquals("a VM named 'web' exists already", e.getMessage());
        VmRegistry<TestVm>.Reservation in1 = registry.reserve(spec("web", 1), "incoming", 1L << 30);
        VmRegistry<TestVm>.Reservation in2 = registry.reserve(spec("web", 1), "incoming", 1L << 30);
        assertEquals("web-incoming", in1.id());
        assertEquals("web-incoming-2", in2.id(), "a reservation holds its id while the VM is built");
        in1.close();
        assertEquals("web-incoming", registry.reserve(spec("web", 1), "incoming", 1L << 30).id());
        String longName = "x".repeat(60);
        try (VmRegistry<TestVm>.Reservation r = registry.reserve(spec(longName, 1), null, 1L << 30)) {
            register(r, 1);
        }
        assertEquals("x".repeat(40) + "-restored", registry.reserve(spec(longName, 1), "restored", 1L << 30).id());
    }

    @Test
    void theMemoryCapCountsVmsAndReservations() {
        try (VmRegistry<TestVm>.Reservation r = registry.reserve(spec("a", 60), null, 100 * MIB)) {
            register(r, 60);
        }
        VmRegistry<TestVm>.Reservation b = registry.reserve(spec("b", 30), null, 100 * MIB);
        VmlabException e = assertThrows(VmlabException.class, () -> registry.reserve(spec("c", 20), null, 100 * MIB));
        assertEquals("VM 'c' asks for 20 MiB of memory but the test backend allows 100.0 MiB in all and 90.0 MiB are"
                + " in use", e.getMessage());
        b.close(); // a failed build gives its memory back
        registry.reserve(spec("c", 20), null, 100 * MIB).close();
        assertEquals(60 * MIB, registry.memoryInUse());
    }

    @Test
    void listsSortedAndDestroysAll() {
        for (String id : List.of("b", "a", "c")) {
            try (VmRegistry<TestVm>.Reservation r = registry.reserve(spec(id, 1), null, 1L << 30)) {
                register(r, 1);
            }
        }
        assertEquals(List.of("a", "b", "c"), registry.list().stream().map(Vm::id).toList());
        assertEquals("b", registry.find("b").orElseThrow().id());
        assertTrue(registry.find(null).isEmpty());
        List<TestVm> all = registry.all();
        registry.destroyAll();
        assertEquals(0, registry.size());
        assertTrue(all.stream().allMatch(v -> v.state() == VmState.STOPPED && v.releases == 1));
        assertThrows(IllegalArgumentException.class, () -> {
            try (VmRegistry<TestVm>.Reservation r = registry.reserve(spec("d", 1), null, 1L << 30)) {
                r.register(new TestVm(registry, "other", MIB, VmState.RUNNING));
            }
        });
        assertEquals("1.5 GiB", VmRegistry.approx(3L << 29));
    }
}
