package org.vmlab.qemu;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.DeviceHotplug;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;

/**
 * Hot-plug of shared-memory devices into QEMU guests over QMP: {@code ivshmem-plain} backed by a
 * {@code memory-backend-file} on one of the guest's empty {@code pcie-root-port}s. ivshmem stands
 * in for VMM-bypass RDMA: the job's VMs share its memory (same {@code path}), and while it is
 * present QEMU itself refuses to migrate the VM, as it does with VFIO. Attach returns once the
 * guest kernel lists the device (asked through vmlab-agent's {@code pci} op), detach once QEMU
 * reports {@code DEVICE_DELETED}, which it does only after the guest has ejected it.
 *
 * <p>Device properties: {@code size} (a power of two, default 1M), {@code path} (the host file
 * shared with other VMs, default {@code <run folder>/<device id>.shm}).
 */
@Component(service = DeviceHotplug.class, property = {
        "vmlab.family=hotplug",
        "vmlab.name=qemu",
        "vmlab.description=Hot-plug of ivshmem shared memory into QEMU guests over QMP (device_add/device_del, PCIe hotplug)"})
public final class QemuDeviceHotplug implements DeviceHotplug {
    /** The one device type this provider hot-plugs. */
    static final String IVSHMEM = "ivshmem";
    /** ivshmem's PCI vendor and device ids as sysfs prints them. */
    static final String VENDOR = "0x1af4";
    static final String DEVICE = "0x1110";
    private static final Duration AGENT_ASK = Duration.ofSeconds(2);
    private static final long POLL_MS = 100;

    private final QemuBackend backend;

    @Activate
    public QemuDeviceHotplug(@Reference(target = "(vmlab.backend=qemu)") VmBackend backend) {
        this.backend = (QemuBackend) backend;
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (!QemuBackend.NAME.equals(vm.backend()) || backend.find(vm.id()).orElse(null) != vm) {
            return Optional.of("VM '" + vm.id() + "' is not a qemu VM of this node");
        }
        return Optional.empty();
    }

    @Override
    public void attach(Vm vm, DeviceSpec device, Duration timeout) {
        QemuVm q = qemuVm(vm);
        if (!IVSHMEM.equals(device.type())) {
            throw new VmlabException("qemu hot-plugs devices of type " + IVSHMEM + " (shared memory, a stand-in for"
                    + " VMM-bypass RDMA), not '" + device.type() + "'");
        }
        long size = size(device);
        String path = device.properties().getOrDefault("path",
                q.process().runDir().resolve(device.id() + ".shm").toString());
        long deadline = System.nanoTime() + timeout.toNanos();
        String port = q.reservePort(device);
        OptionalInt before = guestCount(q);
        try {
            Map<String, Object> mem = new LinkedHashMap<>();
            mem.put("qom-type", "memory-backend-file");
            mem.put("id", memId(device.id()));
            mem.put("mem-path", path);
            mem.put("size", size);
            mem.put("share", true);
            q.qmp().execute("object-add", mem, QemuVm.QMP_TIMEOUT);
            try {
                q.qmp().execute("device_add", Map.of("driver", "ivshmem-plain", "id", qemuId(device.id()),
                        "memdev", memId(device.id()), "bus", port), QemuVm.QMP_TIMEOUT);
            } catch (RuntimeException e) {
                deleteMemory(q, device.id());
                throw e;
            }
        } catch (QmpException e) {
            q.unplugged(device.id());
            throw new VmlabException("QEMU refused to add device '" + device.id() + "' to VM '" + vm.id() + "': "
                    + e.getMessage());
        } catch (RuntimeException e) {
            q.unplugged(device.id());
            throw e;
        }
        if (before.isPresent() && !awaitGuest(q, before.getAsInt() + 1, deadline)) {
            unplugQuietly(q, device.id(), timeout);
            throw new VmlabException("the guest of VM '" + vm.id() + "' did not see device '" + device.id()
                    + "' appear within " + timeout.toMillis() + " ms; it was removed again");
        }
        q.plugged(device);
    }

    @Override
    public void detach(Vm vm, String deviceId, Duration timeout) {
        QemuVm q = qemuVm(vm);
        if (vm.devices().stream().noneMatch(d -> d.id().equals(deviceId))) {
            throw new IllegalArgumentException("VM '" + vm.id() + "' has no device '" + deviceId + "'; it has "
                    + vm.devices().stream().map(DeviceSpec::id).toList());
        }
        if (!q.hotplugged(deviceId)) {
            throw new VmlabException("device '" + deviceId + "' of VM '" + vm.id() + "' was not hot-plugged by vmlab;"
                    + " qemu detaches only devices attached with device:attach");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        OptionalInt before = guestCount(q);
        if (!unplug(q, deviceId, timeout)) {
            throw new VmlabException("the guest of VM '" + vm.id() + "' did not release device '" + deviceId
                    + "' within " + timeout.toMillis() + " ms; it stays attached until the guest ejects it,"
                    + " (QEMU cannot take a device_del back)");
        }
        if (before.isPresent() && !awaitGuest(q, before.getAsInt() - 1, deadline)) {
            throw new VmlabException("QEMU removed device '" + deviceId + "' but the guest of VM '" + vm.id()
                    + "' still lists it after " + timeout.toMillis() + " ms");
        }
    }

    /**
     * device_del, then QEMU's DEVICE_DELETED (after the guest's eject), the memory backend's
     * removal and the VM's device list. False at the timeout: QEMU cannot take a device_del back,
     * so a late eject still completes the removal then.
     */
    private static boolean unplug(QemuVm q, String deviceId, Duration timeout) {
        CompletableFuture<Void> deleted = new CompletableFuture<>();
        String qemuId = qemuId(deviceId);
        QmpClient.EventListener l = e -> {
            if ("DEVICE_DELETED".equals(e.name()) && qemuId.equals(e.data().get("device"))) {
                deleted.complete(null);
            }
        };
        q.qmp().addEventListener(l);
        CompletableFuture<Void> removed = deleted.thenRun(() -> {
            q.qmp().removeEventListener(l);
            deleteMemory(q, deviceId);
            q.unplugged(deviceId);
        });
        try {
            q.qmp().execute("device_del", Map.of("id", qemuId), QemuVm.QMP_TIMEOUT);
            removed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new VmlabException("device '" + deviceId + "' left QEMU but could not be released: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmlabException("interrupted while device '" + deviceId + "' was removed");
        } catch (RuntimeException e) {
            q.qmp().removeEventListener(l); // device_del refused: nothing is pending
            throw e;
        }
    }

    private static void unplugQuietly(QemuVm q, String deviceId, Duration timeout) {
        try {
            unplug(q, deviceId, timeout);
        } catch (RuntimeException e) {
            q.unplugged(deviceId); // the attach failure is what the caller reports
        }
    }

    private static void deleteMemory(QemuVm q, String deviceId) {
        q.qmp().execute("object-del", Map.of("id", memId(deviceId)), QemuVm.QMP_TIMEOUT);
    }

    /**
     * How many ivshmem functions the guest lists, or empty when its agent does not answer or its
     * vCPUs are stopped (a restored VM before it runs: the guest handles the hotplug as it starts).
     */
    private static OptionalInt guestCount(QemuVm q) {
        if (!q.vcpusRunning()) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(ivshmemCount(q.agent().request("pci", Map.of(), AGENT_ASK).get("devices")));
        } catch (VmlabException e) {
            return OptionalInt.empty();
        }
    }

    static int ivshmemCount(Object devices) {
        int n = 0;
        if (devices instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m && VENDOR.equals(m.get("vendor")) && DEVICE.equals(m.get("device"))) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Polls the guest until it lists {@code count} ivshmem functions; false at the deadline. */
    private static boolean awaitGuest(QemuVm q, int count, long deadline) {
        while (true) {
            OptionalInt now = guestCount(q);
            if (now.isPresent() && now.getAsInt() == count) {
                return true;
            }
            if (System.nanoTime() + POLL_MS * 1_000_000 >= deadline) {
                return false;
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static long size(DeviceSpec device) {
        String text = device.properties().getOrDefault("size", "1M");
        long size;
        try {
            size = ByteSize.parse(text).bytes();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device '" + device.id() + "': bad size '" + text + "': " + e.getMessage());
        }
        if (size < 4096 || Long.bitCount(size) != 1) {
            throw new IllegalArgumentException("device '" + device.id() + "': ivshmem size must be a power of two"
                    + " of at least 4K, not " + text);
        }
        return size;
    }

    private static String qemuId(String deviceId) {
        return "vmlab-dev-" + deviceId;
    }

    private static String memId(String deviceId) {
        return "vmlab-shm-" + deviceId;
    }

    private QemuVm qemuVm(Vm vm) {
        unsupportedReason(vm).ifPresent(why -> {
            throw new VmlabException(why);
        });
        return (QemuVm) vm;
    }
}
