package org.vmlab.api.kvs;

import org.vmlab.api.tiering.TierCounters;

/**
 * One tier of a key-value server.
 *
 * @param name       {@code dram} or {@code nvm}
 * @param model      the tier model's name
 * @param limitBytes its memory limit
 * @param usedBytes  bytes of slab pages handed to size classes ({@code <= limitBytes})
 * @param items      items stored in it
 * @param hot        items in its HOT segment
 * @param warm       items in its WARM segment
 * @param cold       items in its COLD segment
 * @param counters   what its emulated tier charged
 */
public record KvsTierStats(String name, String model, long limitBytes, long usedBytes, long items, long hot,
                           long warm, long cold, TierCounters counters) {
}
