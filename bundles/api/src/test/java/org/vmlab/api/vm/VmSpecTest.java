package org.vmlab.api.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmSpecTest {
    private static final long MIB = 1 << 20;

    @Test
    void ofGivesAnIdleMinimalVm() {
        VmSpec spec = VmSpec.of("vm1", "emu", 64 * MIB);
        assertEquals(1, spec.vcpus());
        assertNull(spec.diskImage());
        assertEquals(0, spec.diskBytes());
        assertNull(spec.workload());
        assertEquals(Map.of(), spec.workloadParameters());
        assertEquals(List.of(), spec.devices());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "vm1", "web-01", "db_2.test", "0vm",
            "a23456789012345678901234567890123456789012345678901234567890123"})
    void acceptsNames(String name) {
        assertEquals(name, VmSpec.of(name, "emu", 4096).name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-vm", ".vm", "_vm", "vm 1", "vm/1", "vm:1", "vmé",
            "a234567890123456789012345678901234567890123456789012345678901234"})
    void rejectsNames(String name) {
        assertMessage("bad VM name '" + name + "'", () -> VmSpec.of(name, "emu", 4096));
    }

    @Test
    void memoryMustBePositivePages() {
        assertMessage("memoryBytes must be a positive multiple of 4096: 0",
                () -> VmSpec.of("vm", "emu", 0));
        assertMessage("memoryBytes must be a positive multiple of 4096: 4097",
                () -> VmSpec.of("vm", "emu", 4097));
        assertMessage("memoryBytes must be a positive multiple of 4096: -4096",
                () -> VmSpec.of("vm", "emu", -4096));
        assertEquals(8192, VmSpec.of("vm", "emu", 4096).withMemoryBytes(8192).memoryBytes());
    }

    @Test
    void vcpusInRange() {
        VmSpec spec = VmSpec.of("vm", "emu", 4096);
        assertEquals(256, spec.withVcpus(256).vcpus());
        assertMessage("vcpus must be 1..256: 0", () -> spec.withVcpus(0));
        assertMessage("vcpus must be 1..256: 257", () -> spec.withVcpus(257));
    }

    @Test
    void diskRules() {
        VmSpec spec = VmSpec.of("vm", "emu", 4096);
        Path image = Path.of("/tmp/vm.img");
        assertEquals(image, spec.withDisk(image, 0).diskImage());
        assertEquals(MIB, spec.withDisk(image, MIB).diskBytes());
        assertMessage("diskBytes is 4096 but VM 'vm' has no disk image",
                () -> spec.withDisk(null, 4096));
        assertMessage("diskBytes must be 0 or a positive multiple of 4096: 100",
                () -> spec.withDisk(image, 100));
        assertMessage("diskBytes must be 0 or a positive multiple of 4096: -4096",
                () -> spec.withDisk(image, -4096));
    }

    @Test
    void workloadRules() {
        VmSpec spec = VmSpec.of("vm", "emu", 4096);
        VmSpec busy = spec.withWorkload("memory-intensive", Map.of("rate", "1000"));
        assertEquals("memory-intensive", busy.workload());
        assertEquals(Map.of("rate", "1000"), busy.workloadParameters());
        assertEquals(spec, busy.withWorkload(null, null));
        assertMessage("workload parameters [rate] given but VM 'vm' has no workload",
                () -> spec.withWorkload(null, Map.of("rate", "1")));
        assertMessage("workload of VM 'vm' is blank", () -> spec.withWorkload(" ", Map.of()));
    }

    @Test
    void devicesAreCopiedAndUnique() {
        List<DeviceSpec> devices = new ArrayList<>(List.of(DeviceSpec.of("nic0", "nic"),
                new DeviceSpec("gpu0", "gpu", true, Map.of("host", "0000:01:00.0"))));
        VmSpec spec = VmSpec.of("vm", "emu", 4096).withDevices(devices);
        devices.clear();
        assertEquals(2, spec.devices().size());
        assertThrows(UnsupportedOperationException.class, () -> spec.devices().clear());
        assertMessage("device id 'nic0' appears twice in VM 'vm'",
                () -> spec.withDevices(List.of(DeviceSpec.of("nic0", "nic"), DeviceSpec.of("nic0", "nvme"))));
        assertMessage("bad device id 'nic 0'", () -> DeviceSpec.of("nic 0", "nic"));
        assertMessage("device type of 'nic0' is blank", () -> DeviceSpec.of("nic0", ""));
    }

    @Test
    void withersKeepTheRest() {
        VmSpec spec = new VmSpec("vm", "emu", 8192, 2, Path.of("/d.img"), 4096, "web",
                Map.of("port", "80"), List.of(DeviceSpec.of("nic0", "nic")));
        VmSpec moved = spec.withBackend("qemu").withName("vm-in");
        assertEquals(new VmSpec("vm-in", "qemu", 8192, 2, Path.of("/d.img"), 4096, "web",
                Map.of("port", "80"), List.of(DeviceSpec.of("nic0", "nic"))), moved);
        assertMessage("backend of VM 'vm' is blank", () -> spec.withBackend(""));
        assertThrows(NullPointerException.class, () -> spec.withBackend(null));
    }

    @Test
    void vmStateFinality() {
        assertTrue(VmState.STOPPED.isFinal());
        assertTrue(VmState.FAILED.isFinal());
        assertTrue(!VmState.MIGRATING.isFinal());
    }

    private static void assertMessage(String start, Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().startsWith(start), x.getMessage());
    }
}
