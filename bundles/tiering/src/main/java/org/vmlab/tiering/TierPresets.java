package org.vmlab.tiering;

import java.util.List;
import java.util.Optional;

import org.vmlab.api.tiering.TierModel;

/** The built-in tier models, with where their figures come from. */
final class TierPresets {
    private static final long GB = 1_000_000_000L;

    /** The host's own DRAM: nothing is added to what the machine does. */
    static final TierModel DRAM = new TierModel("dram", 0, 0, 0, 0, 64, 64,
            "the host's DRAM as it is: no latency or bandwidth limit added");

    /**
     * Intel Optane DC PMM, interleaved, as measured by Hirofuchi and Takano (IEICE'20): random
     * read-only 374 ns, write-back-involving 391 ns, 38 GB/s read-only and 3 GB/s
     * write-back-involving bandwidth; 256 B media blocks (XPLine).
     */
    static final TierModel OPTANE_DCPMM = new TierModel("optane-dcpmm", 374, 391, 38 * GB, 3 * GB, 64, 256,
            "Optane DC PMM, 6 interleaved modules (Hirofuchi & Takano, IEICE'20): 374/391 ns, 38/3 GB/s, 256 B blocks");

    /**
     * A PCM-like write-slow setting: reads about DRAM x3, write-backs at the top of the 200-1000 ns
     * range Koshiba et al. emulate; bandwidths of the same order as early PCM prototypes. A setting
     * to explore, not a measured device.
     */
    static final TierModel PCM = new TierModel("pcm", 300, 1000, 10 * GB, GB, 64, 256,
            "PCM-like setting (write-slow): 300/1000 ns, 10/1 GB/s, 256 B blocks; not a measured device");

    /** A ReRAM-like setting: faster reads than PCM, writes still twice as slow. Not a measured device. */
    static final TierModel RERAM = new TierModel("reram", 200, 600, 20 * GB, 4 * GB, 64, 256,
            "ReRAM-like setting (write-slow): 200/600 ns, 20/4 GB/s, 256 B blocks; not a measured device");

    static final List<TierModel> ALL = List.of(DRAM, OPTANE_DCPMM, PCM, RERAM);

    private TierPresets() {
    }

    static Optional<TierModel> find(String name) {
        return ALL.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    static String names() {
        return String.join(", ", ALL.stream().map(TierModel::name).toList());
    }
}
