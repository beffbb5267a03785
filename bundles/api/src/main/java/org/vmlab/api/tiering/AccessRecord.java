package org.vmlab.api.tiering;

/**
 * One access to a tiered object, as a policy sees recent history.
 *
 * @param key      the object: a page number or a key-value item id
 * @param write    whether it was a write
 * @param nanoTime when, on the {@link System#nanoTime()} clock
 */
public record AccessRecord(long key, boolean write, long nanoTime) {
}
