package org.vmlab.pagecache;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.vm.Vm;

/**
 * A detector that lies on purpose: another detector's map with every {@code every}-th entry
 * pointed at the block of the entry {@code every / 2} further on (real data, the wrong block).
 * For checking that a migration catches wrong entries (the destination's hash check); not
 * registered as a service.
 */
public final class PlantedErrorDetector implements PageCacheDetector {
    private final PageCacheDetector honest;
    private final int every;
    private final AtomicLong planted = new AtomicLong();

    public PlantedErrorDetector(PageCacheDetector honest, int every) {
        if (every < 2) {
            throw new IllegalArgumentException("plant at most every 2nd entry: " + every);
        }
        this.honest = honest;
        this.every = every;
    }

    /** Wrong entries planted in the latest map. */
    public long planted() {
        return planted.get();
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        return honest.unsupportedReason(vm);
    }

    @Override
    public PageCacheTracker track(Vm vm) {
        PageCacheTracker t = honest.track(vm);
        return new PageCacheTracker() {
            @Override
            public PageCacheMap restorable() {
                PageCacheMap m = t.restorable();
                long[] blocks = m.blocks();
                long[] original = blocks.clone();
                long n = 0;
                for (int i = 0; i < blocks.length; i += every) {
                    long other = original[(i + every / 2) % blocks.length];
                    if (other != original[i]) {
                        blocks[i] = other;
                        n++;
                    }
                }
                planted.set(n);
                return PageCacheMap.of(m.pfns(), blocks);
            }

            @Override
            public boolean isRestorable(long pfn, long block) {
                return t.isRestorable(pfn, block);
            }

            @Override
            public void close() {
                t.close();
            }
        };
    }
}
