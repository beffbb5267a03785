package org.vmlab.pagecache;

import java.util.Optional;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.vm.Vm;

/**
 * The guest cooperates: its OS reports the clean page cache (frame, block) itself, as CLOUD'14's
 * kernel module does (pfn -> struct page -> bmap -> block). No runtime overhead, a small mapping
 * time, a modified guest. On emu the guest OS answers directly; the QEMU agent (mincore,
 * /proc/self/pagemap, FIEMAP inside the guest) is not built yet, which {@link #unsupportedReason} says.
 */
@Component(service = PageCacheDetector.class, property = {
        "vmlab.family=pagecache",
        "vmlab.name=" + GuestAgentDetector.NAME,
        "vmlab.description=The guest OS reports its clean page cache (frame -> block); guest modified, no runtime overhead",
        "service.ranking:Integer=100"})
public final class GuestAgentDetector implements PageCacheDetector {
    public static final String NAME = "guest-agent";

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (vm.disk().isEmpty()) {
            return Optional.of("the VM has no disk, so it has no restorable page cache");
        }
        if (vm.guestOs().isEmpty()) {
            return Optional.of("the '" + vm.backend() + "' backend has no guest agent reporting the page cache"
                    + " (the vmlab-agent map for QEMU guests is not built yet)");
        }
        return Optional.empty();
    }

    @Override
    public PageCacheTracker track(Vm vm) {
        unsupportedReason(vm).ifPresent(why -> {
            throw new VmlabException(NAME + " cannot track VM '" + vm.id() + "': " + why);
        });
        GuestOs os = vm.guestOs().orElseThrow();
        return new PageCacheTracker() {
            @Override
            public PageCacheMap restorable() {
                return os.cleanPageCache();
            }

            @Override
            public boolean isRestorable(long pfn, long block) {
                return os.cleanPageCache().blockOf(pfn).orElse(-1) == block;
            }

            @Override
            public void close() {
                // the guest keeps its own books; nothing installed
            }
        };
    }
}
