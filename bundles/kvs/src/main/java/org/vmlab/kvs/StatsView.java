package org.vmlab.kvs;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.kvs.KvsStats;
import org.vmlab.api.kvs.KvsTierStats;

/** The server's numbers as memcached's {@code stats} sections and as {@link KvsStats}. */
final class StatsView {
    private final KvsServerImpl server;
    private final ItemStore store;
    private final KvsOptions options;

    StatsView(KvsServerImpl server, ItemStore store, KvsOptions options) {
        this.server = server;
        this.store = store;
        this.options = options;
    }

    /** {@code stats}, {@code stats settings}, {@code stats items}, {@code stats slabs}, {@code stats tiers}; null if unknown. */
    Map<String, String> section(String name) {
        return switch (name) {
            case "" -> general();
            case "settings" -> settings();
            case "items" -> items();
            case "slabs" -> slabs();
            case "tiers" -> tiers();
            default -> null;
        };
    }

    private Map<String, String> general() {
        Map<String, String> m = new LinkedHashMap<>();
        long[] c = server.connectionCounters();
        long[] k = store.counters();
        m.put("pid", Long.toString(ProcessHandle.current().pid()));
        m.put("uptime", Long.toString(server.uptime()));
        m.put("time", Long.toString(System.currentTimeMillis() / 1000));
        m.put("version", KvsServerImpl.VERSION);
        m.put("pointer_size", "64");
        m.put("rusage_user", String.format("%.6f", ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0));
        m.put("max_connections", Integer.toString(options.maxConnections()));
        m.put("curr_connections", Long.toString(c[0]));
        m.put("total_connections", Long.toString(c[1]));
        m.put("rejected_connections", Long.toString(c[2]));
        for (Counter x : Counter.values()) {
            m.put(x.stat(), Long.toString(k[x.ordinal()]));
        }
        m.put("bytes_read", Long.toString(c[3]));
        m.put("bytes_written", Long.toString(c[4]));
        m.put("protocol_errors", Long.toString(c[5]));
        m.put("conn_buffer_bytes", Long.toString(server.bufferedBytes()));
        m.put("conn_buffer_limit", Long.toString(options.bufferMemory()));
        m.put("limit_maxbytes", Long.toString(limit()));
        m.put("threads", Integer.toString(options.threads()));
        m.put("bytes", Long.toString(used()));
        m.put("curr_items", Long.toString(store.items()));
        m.put("lru_mode", options.mode().label());
        return m;
    }

    private Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("maxbytes", Long.toString(limit()));
        m.put("maxconns", Integer.toString(options.maxConnections()));
        m.put("tcpport", Integer.toString(server.address().getPort()));
        m.put("inter", options.host());
        m.put("evictions", "on");
        m.put("growth_factor", Double.toString(options.growthFactor()));
        m.put("num_threads", Integer.toString(options.threads()));
        m.put("cas_enabled", "yes");
        m.put("item_size_max", Integer.toString(options.itemMaxBytes()));
        m.put("client_flags_size", "4");
        m.put("lru_maintainer_thread", "yes");
        m.put("lru_segmented", options.mode() == KvsMode.FLAT ? "no" : "yes");
        m.put("hot_lru_pct", Integer.toString(options.hotPercent()));
        m.put("warm_lru_pct", Integer.toString(options.warmPercent()));
        m.put("temp_lru", "no");
        m.put("tier_mode", options.mode().label());
        m.put("dram_limit", Long.toString(options.dramBytes()));
        m.put("nvm_limit", Long.toString(options.nvmBytes()));
        m.put("dram_model", options.dramModel());
        m.put("nvm_model", options.nvmModel());
        return m;
    }

    private Map<String, String> items() {
        Map<String, String> m = new LinkedHashMap<>();
        store.lock.lock();
        try {
            for (int cls = 0; cls < store.classes.count(); cls++) {
                for (TierSlabs t : store.tiers) {
                    if (t == null) {
                        continue;
                    }
                    long n = t.size(cls, Items.HOT) + t.size(cls, Items.WARM) + t.size(cls, Items.COLD);
                    if (n == 0) {
                        continue;
                    }
                    String p = "items:" + (cls + 1) + ":" + (t.index == 0 ? "" : "nvm_");
                    m.put(p + "number", Long.toString(n));
                    m.put(p + "number_hot", Long.toString(t.size(cls, Items.HOT)));
                    m.put(p + "number_warm", Long.toString(t.size(cls, Items.WARM)));
                    m.put(p + "number_cold", Long.toString(t.size(cls, Items.COLD)));
                }
            }
        } finally {
            store.lock.unlock();
        }
        return m;
    }

    private Map<String, String> slabs() {
        Map<String, String> m = new LinkedHashMap<>();
        store.lock.lock();
        try {
            int active = 0;
            for (int cls = 0; cls < store.classes.count(); cls++) {
                for (TierSlabs t : store.tiers) {
                    if (t == null || t.classPages(cls) == 0) {
                        continue;
                    }
                    active++;
                    String p = (cls + 1) + ":" + (t.index == 0 ? "" : "nvm_");
                    m.put(p + "chunk_size", Integer.toString(store.classes.chunkSize(cls)));
                    m.put(p + "total_pages", Long.toString(t.classPages(cls)));
                    m.put(p + "free_chunks", Long.toString(t.freeChunks(cls)));
                }
            }
            m.put("active_slabs", Integer.toString(active));
            m.put("total_malloced", Long.toString(used()));
        } finally {
            store.lock.unlock();
        }
        return m;
    }

    private Map<String, String> tiers() {
        Map<String, String> m = new LinkedHashMap<>();
        for (KvsTierStats t : tierStats()) {
            String p = t.name() + ":";
            m.put(p + "model", t.model());
            m.put(p + "limit_bytes", Long.toString(t.limitBytes()));
            m.put(p + "used_bytes", Long.toString(t.usedBytes()));
            m.put(p + "items", Long.toString(t.items()));
            m.put(p + "hot", Long.toString(t.hot()));
            m.put(p + "warm", Long.toString(t.warm()));
            m.put(p + "cold", Long.toString(t.cold()));
            m.put(p + "reads", Long.toString(t.counters().reads()));
            m.put(p + "writes", Long.toString(t.counters().writes()));
            m.put(p + "charged_ns", Long.toString(t.counters().chargedNanos()));
        }
        return m;
    }

    private List<KvsTierStats> tierStats() {
        List<KvsTierStats> out = new ArrayList<>();
        store.lock.lock();
        try {
            for (TierSlabs t : store.tiers) {
                if (t != null) {
                    out.add(new KvsTierStats(t.name, t.tier.model().name(), t.limitBytes(), t.usedBytes(), t.items(),
                            t.lruTotal(Items.HOT), t.lruTotal(Items.WARM), t.lruTotal(Items.COLD), t.tier.counters()));
                }
            }
        } finally {
            store.lock.unlock();
        }
        return out;
    }

    private long limit() {
        long n = 0;
        for (TierSlabs t : store.tiers) {
            n += t == null ? 0 : t.limitBytes();
        }
        return n;
    }

    private long used() {
        store.lock.lock();
        try {
            long n = 0;
            for (TierSlabs t : store.tiers) {
                n += t == null ? 0 : t.usedBytes();
            }
            return n;
        } finally {
            store.lock.unlock();
        }
    }

    KvsStats stats() {
        long[] c = server.connectionCounters();
        long[] k = store.counters();
        return new KvsStats(server.id(), options.mode().label(), server.address().getHostString() + ":"
                + server.address().getPort(), server.uptime(), c[0], c[1], c[2], store.items(),
                k[Counter.GET_HITS.ordinal()], k[Counter.GET_MISSES.ordinal()], k[Counter.CMD_SET.ordinal()],
                k[Counter.EVICTIONS.ordinal()], k[Counter.DEMOTIONS.ordinal()], k[Counter.PROMOTIONS.ordinal()], c[5],
                tierStats());
    }
}
