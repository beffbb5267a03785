package org.vmlab.kvs;

import java.util.List;
import java.util.Map;

import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;

/**
 * The options of a key-value server, described once: {@code kvs:start}, {@code policy:info kvs}
 * and validation all come from {@link #PARAMETERS}.
 */
record KvsOptions(String host, int port, KvsMode mode, long dramBytes, long nvmBytes, String dramModel,
                  String nvmModel, int threads, int maxConnections, int itemMaxBytes, double growthFactor,
                  int hotPercent, int warmPercent, long bufferMemory, Map<String, String> given) {

    /** Slab page size: 2 MiB, so the largest item (1 MiB value, key and header) fits one chunk. */
    static final long PAGE = 2 << 20;
    private static final long MAX_TIER = 1L << 40;

    static final List<Parameter> PARAMETERS = List.of(
            Parameter.text("host", "127.0.0.1", "address to listen on (loopback unless told otherwise)"),
            Parameter.integer("port", "11211", 0, 65535, "TCP port; 0 picks a free one"),
            Parameter.choice("mode", "dual-lru", "flat: one LRU in DRAM; dram-only: segmented LRU in DRAM;"
                    + " nvm-only: segmented LRU in NVM; dual-lru: one per tier, DRAM's cold tail demoted to NVM",
                    "flat", "dram-only", "nvm-only", "dual-lru"),
            Parameter.size("dram", "64m", 2 * PAGE, MAX_TIER, "memory limit of the DRAM tier (items' slab pages)"),
            Parameter.size("nvm", "1g", 2 * PAGE, MAX_TIER, "memory limit of the NVM tier"),
            Parameter.text("dram-model", "dram", "tier model of DRAM: a preset or figures (tier:list)"),
            Parameter.text("nvm-model", "optane-dcpmm", "tier model of NVM: a preset or figures, e.g. pcm:write=1500ns"),
            Parameter.integer("threads", "4", 1, 64, "worker threads, each with its own selector (memcached -t)"),
            Parameter.integer("max-connections", "1024", 1, 65536, "client connections at once; more are refused (memcached -c)"),
            Parameter.size("item-max", "1m", 1024, PAGE - Items.HEADER - Items.MAX_KEY, "largest value (memcached -I)"),
            Parameter.decimal("growth-factor", "1.25", 1.01, 4, "chunk size factor between slab classes (memcached -f)"),
            Parameter.integer("hot-percent", "20", 1, 80, "most of a class's items in HOT (memcached hot_lru_pct)"),
            Parameter.integer("warm-percent", "40", 1, 80, "most of a class's items in WARM (memcached warm_lru_pct)"),
            Parameter.size("buffer-memory", "256m", 1 << 20, MAX_TIER,
                    "most bytes all connections may buffer beyond their first 16 KiB in and out"));

    static ParameterSet set(String owner) {
        return ParameterSet.options(owner, PARAMETERS);
    }

    /**
     * @throws IllegalArgumentException naming a bad option
     */
    static KvsOptions of(String owner, Map<String, String> given) {
        ParameterValues v = set(owner).validate(given);
        KvsOptions o = new KvsOptions(v.text("host"), v.intValue("port"), KvsMode.of(v.choice("mode")),
                v.bytes("dram"), v.bytes("nvm"), v.text("dram-model"), v.text("nvm-model"), v.intValue("threads"),
                v.intValue("max-connections"), (int) v.bytes("item-max"), v.decimal("growth-factor"),
                v.intValue("hot-percent"), v.intValue("warm-percent"), v.bytes("buffer-memory"), v.asMap());
        if (o.hotPercent + o.warmPercent > 90) {
            throw v.bad("warm-percent", "hot-percent and warm-percent add up to more than 90");
        }
        return o;
    }
}
