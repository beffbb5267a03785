package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.VmSpec;

/**
 * ivshmem hot-plugged into a real TCG guest of vmlab's image and removed again: the guest kernel
 * lists it (asked through vmlab-agent), vmlab and QEMU both refuse to migrate while it is there,
 * and both allow it once it is gone.
 */
class QemuDeviceHotplugTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void ivshmemComesAndGoesAndBlocksMigrationMeanwhile() throws Exception {
        QemuTestSupport.assumeQemu();
        Optional<Path> image = QemuTestSupport.guestImage();
        assumeTrue(image.isPresent(), "no guest image (guest/build.sh, or -Dvmlab.guest.image): skipped");
        QemuSettings s = QemuSettings.defaults(dir, image.get()).withRunRoot(dir.resolve("run")).withAccelerator("tcg");
        QemuBackend b = new QemuBackend(s);
        b.start();
        try {
            QemuVm vm = (QemuVm) b.create(VmSpec.of("hp", "qemu", 256L << 20));
            QemuDeviceHotplug hotplug = new QemuDeviceHotplug(b);
            assertTrue(hotplug.unsupportedReason(vm).isEmpty());
            assertEquals(0, guestIvshmem(vm), "no ivshmem before the attach");

            Path shm = dir.resolve("fabric.shm");
            DeviceSpec fabric = new DeviceSpec("fabric", QemuDeviceHotplug.IVSHMEM, true,
                    Map.of("size", "1M", "path", shm.toString()));
            long t0 = System.nanoTime();
            hotplug.attach(vm, fabric, TIMEOUT);
            System.out.println("qemu ivshmem attach, guest sees it: " + (System.nanoTime() - t0) / 1_000_000 + " ms (tcg)");
            assertEquals(1, guestIvshmem(vm), "the guest lists the hot-plugged device");
            assertTrue(vm.devices().contains(fabric));
            assertEquals(1L << 20, Files.size(shm), "the shared memory file backs it");
            assertThrows(IllegalArgumentException.class, () -> hotplug.attach(vm, fabric, TIMEOUT));

            VmlabException ours = assertThrows(VmlabException.class, vm::beginMigration);
            assertTrue(ours.getMessage().contains("pass-through device 'fabric'"), ours.getMessage());
            assertThrows(VmlabException.class, () -> vm.snapshot(dir.resolve("snap")));
            QmpException qemus = assertThrows(QmpException.class, () -> vm.qmp().execute("migrate",
                    Map.of("uri", "exec:cat >/dev/null"), QemuVm.QMP_TIMEOUT));
            System.out.println("QEMU's own refusal: " + qemus.getMessage());
            assertTrue(qemus.getMessage().contains("ivshmem"), qemus.getMessage());

            t0 = System.nanoTime();
            hotplug.detach(vm, "fabric", TIMEOUT);
            System.out.println("qemu ivshmem detach, guest ejected it: " + (System.nanoTime() - t0) / 1_000_000 + " ms (tcg)");
            assertEquals(0, guestIvshmem(vm), "the guest no longer lists it");
            assertFalse(vm.devices().stream().anyMatch(d -> d.id().equals("fabric")));
            vm.beginMigration(); // allowed again
            vm.endMigration();
            assertThrows(IllegalArgumentException.class, () -> hotplug.detach(vm, "fabric", TIMEOUT));
            VmlabException type = assertThrows(VmlabException.class,
                    () -> hotplug.attach(vm, new DeviceSpec("gpu0", "gpu", true, Map.of()), TIMEOUT));
            assertTrue(type.getMessage().contains("ivshmem"), type.getMessage());

            hotplug.attach(vm, fabric, TIMEOUT); // the port is free again
            assertEquals(1, guestIvshmem(vm));
            // Too short a timeout: one error; the guest's eject still completes the removal later.
            VmlabException late = assertThrows(VmlabException.class, () -> hotplug.detach(vm, "fabric", Duration.ofMillis(1)));
            assertTrue(late.getMessage().contains("did not release device 'fabric'"), late.getMessage());
            long end = System.nanoTime() + TIMEOUT.toNanos();
            while (vm.devices().contains(fabric) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertFalse(vm.devices().contains(fabric), "removed once the guest ejected it");
            hotplug.attach(vm, fabric, TIMEOUT);
            assertEquals(1, guestIvshmem(vm));
        } finally {
            b.close();
        }
        assertTrue(QemuTestSupport.qemuPids(dir).isEmpty(), "QEMU stopped");
    }

    private static int guestIvshmem(QemuVm vm) {
        Map<String, Object> r = vm.agent().request("pci", Map.of(), Duration.ofSeconds(5));
        return QemuDeviceHotplug.ivshmemCount(r.get("devices"));
    }
}
