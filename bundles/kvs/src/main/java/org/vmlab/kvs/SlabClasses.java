package org.vmlab.kvs;

import java.util.ArrayList;
import java.util.List;

/**
 * The chunk sizes of the slab classes: from the smallest item up by a growth factor, 8-byte
 * aligned, up to half a page; then one class of a whole page (memcached's slabs_init; its chunked
 * items are one chunk here, the page being twice memcached's).
 */
final class SlabClasses {
    static final int MIN_CHUNK = 96;

    private final int[] sizes;

    SlabClasses(double factor, int pageBytes) {
        List<Integer> s = new ArrayList<>();
        double size = MIN_CHUNK;
        while (size <= pageBytes / 2.0) {
            int aligned = ((int) Math.ceil(size) + 7) & ~7;
            if (s.isEmpty() || aligned > s.get(s.size() - 1)) {
                s.add(aligned);
            }
            size *= factor;
        }
        s.add(pageBytes);
        sizes = s.stream().mapToInt(Integer::intValue).toArray();
    }

    int count() {
        return sizes.length;
    }

    int chunkSize(int clsid) {
        return sizes[clsid];
    }

    /** The smallest class whose chunks hold {@code bytes}, or -1 if none does. */
    int classFor(long bytes) {
        int lo = 0;
        int hi = sizes.length - 1;
        if (bytes > sizes[hi]) {
            return -1;
        }
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sizes[mid] >= bytes) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
