package org.vmlab.api.kvs;

import java.util.List;
import java.util.Objects;

/**
 * The counters of one key-value server, as {@code kvs:stats} prints them (memcached's names
 * where it has one).
 *
 * @param id               the server
 * @param mode             {@code flat}, {@code dram-only}, {@code nvm-only} or {@code dual-lru}
 * @param address          host:port it listens on
 * @param uptimeSeconds    since it started
 * @param currConnections  open client connections
 * @param totalConnections accepted so far
 * @param rejectedConnections refused for being over the connection limit
 * @param items            items stored now
 * @param getHits          retrievals that found the key
 * @param getMisses        retrievals that did not
 * @param sets             storage commands that stored
 * @param evictions        items dropped for room (from the last tier's COLD tail)
 * @param demotions        items moved to a slower tier instead of being evicted
 * @param promotions       items moved to a faster tier because they became active
 * @param protocolErrors   requests answered with ERROR / CLIENT_ERROR
 * @param tiers            per tier, fastest first
 */
public record KvsStats(String id, String mode, String address, long uptimeSeconds, long currConnections,
                       long totalConnections, long rejectedConnections, long items, long getHits, long getMisses,
                       long sets, long evictions, long demotions, long promotions, long protocolErrors,
                       List<KvsTierStats> tiers) {
    public KvsStats {
        Objects.requireNonNull(id, "id");
        tiers = List.copyOf(tiers);
    }
}
