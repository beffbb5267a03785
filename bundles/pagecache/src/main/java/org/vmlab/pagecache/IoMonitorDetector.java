package org.vmlab.pagecache;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.vm.VmStateListener;

/**
 * The host watches the guest's disk I/O ({@link IoMonitor}); no guest help, every disk access
 * hooked. The watch starts the first time a VM is tracked (or listed) and lasts until the VM
 * stops, so a migration later finds everything read since; page cache filled before the watch
 * began is not known, as with a real I/O monitor attached late.
 */
@Component(service = PageCacheDetector.class, property = {
        "vmlab.family=pagecache",
        "vmlab.name=" + IoMonitorDetector.NAME,
        "vmlab.description=The host watches the guest's disk reads and writes and matches frames to blocks by content hash",
        "service.ranking:Integer=50"})
public final class IoMonitorDetector implements PageCacheDetector {
    public static final String NAME = "io-monitor";

    private record Watch(GuestOs os, IoMonitor monitor, VmStateListener stopper) {
    }

    private final Map<Vm, Watch> watches = new ConcurrentHashMap<>();

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (vm.disk().isEmpty()) {
            return Optional.of("the VM has no disk, so it has no restorable page cache");
        }
        if (vm.guestOs().isEmpty()) {
            return Optional.of("the '" + vm.backend() + "' backend does not pass the guest's disk I/O through vmlab"
                    + " (needs the storage issue's NBD disk)");
        }
        if (vm.memory().pageCount() > Integer.MAX_VALUE) {
            return Optional.of("io-monitor supports at most 2^31 pages");
        }
        return Optional.empty();
    }

    /** Starts watching {@code vm}'s disk I/O now, if not yet (what it reads from now on becomes known). */
    public IoMonitor watch(Vm vm) {
        unsupportedReason(vm).ifPresent(why -> {
            throw new VmlabException(NAME + " cannot track VM '" + vm.id() + "': " + why);
        });
        return watches.computeIfAbsent(vm, v -> {
            GuestOs os = v.guestOs().orElseThrow();
            IoMonitor m = new IoMonitor(v.memory());
            VmStateListener stopper = (source, from, to) -> {
                if (to == VmState.STOPPED || to == VmState.FAILED) {
                    unwatch(source);
                }
            };
            os.addIoListener(m);
            v.addStateListener(stopper);
            return new Watch(os, m, stopper);
        }).monitor();
    }

    private void unwatch(Vm vm) {
        Watch w = watches.remove(vm);
        if (w != null) {
            w.os().removeIoListener(w.monitor());
            vm.removeStateListener(w.stopper());
        }
    }

    @Override
    public PageCacheTracker track(Vm vm) {
        IoMonitor m = watch(vm);
        return new PageCacheTracker() {
            @Override
            public PageCacheMap restorable() {
                return m.restorable();
            }

            @Override
            public boolean isRestorable(long pfn, long block) {
                return m.isRestorable(pfn, block);
            }

            @Override
            public void close() {
                // the watch stays until the VM stops: the next migration needs the history
            }
        };
    }

    @Deactivate
    void deactivate() {
        watches.keySet().forEach(this::unwatch);
    }
}
