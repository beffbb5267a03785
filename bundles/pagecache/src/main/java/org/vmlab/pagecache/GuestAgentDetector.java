package org.vmlab.pagecache;

import java.util.Optional;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.guest.PageCacheReporter;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.vm.Vm;

/**
 * The guest cooperates: its OS reports the clean page cache (frame, block) itself, as CLOUD'14's
 * kernel module does (pfn -> struct page -> bmap -> block). No runtime overhead, a small mapping
 * time, a modified guest. On emu the guest OS answers directly; on QEMU vmlab-agent builds the map
 * inside the guest without a kernel module (mincore, /proc/self/pagemap, FIEMAP), through
 * {@link Vm#pageCacheReporter()}.
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
        if (vm.guestOs().isEmpty()) {
            return vm.pageCacheReporter().map(PageCacheReporter::unavailableReason)
                    .orElse(Optional.of("the '" + vm.backend() + "' backend has no guest agent reporting the page cache"));
        }
        if (vm.disk().isEmpty()) {
            return Optional.of("the VM has no disk, so it has no restorable page cache");
        }
        return Optional.empty();
    }

    @Override
    public PageCacheTracker track(Vm vm) {
        unsupportedReason(vm).ifPresent(why -> {
            throw new VmlabException(NAME + " cannot track VM '" + vm.id() + "': " + why);
        });
        if (vm.guestOs().isEmpty()) {
            return new ReportedTracker(vm.pageCacheReporter().orElseThrow());
        }
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

    /**
     * Asking the agent is a round trip into the guest, so the map of the latest
     * {@link #restorable()} answers {@link #isRestorable}; the destination's hash check catches
     * pages changed since.
     */
    private static final class ReportedTracker implements PageCacheTracker {
        private final PageCacheReporter reporter;
        private volatile PageCacheMap latest;

        ReportedTracker(PageCacheReporter reporter) {
            this.reporter = reporter;
        }

        @Override
        public PageCacheMap restorable() {
            PageCacheMap m = reporter.cleanPageCache();
            latest = m;
            return m;
        }

        @Override
        public boolean isRestorable(long pfn, long block) {
            PageCacheMap m = latest;
            if (m == null) {
                m = restorable();
            }
            return m.blockOf(pfn).orElse(-1) == block;
        }

        @Override
        public void close() {
            // the agent keeps nothing between requests
        }
    }
}
