package org.vmlab.kvs;

import java.util.Locale;

/** How a server uses its tiers; the comparison the Fogcached paper makes. */
enum KvsMode {
    /** One plain LRU in DRAM, bumped on access (memcached's {@code lru mode flat}). */
    FLAT(true, false),
    /** memcached's segmented LRU (HOT/WARM/COLD) in DRAM; eviction at the COLD tail. */
    DRAM_ONLY(true, false),
    /** The same segmented LRU with every item in NVM. */
    NVM_ONLY(false, true),
    /** A segmented LRU per tier: DRAM's COLD tail demotes to NVM, active NVM items are promoted. */
    DUAL_LRU(true, true);

    final boolean usesDram;
    final boolean usesNvm;

    KvsMode(boolean usesDram, boolean usesNvm) {
        this.usesDram = usesDram;
        this.usesNvm = usesNvm;
    }

    /** The option's spelling: {@code dual-lru}. */
    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static KvsMode of(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
