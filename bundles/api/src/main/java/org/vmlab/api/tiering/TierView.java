package org.vmlab.api.tiering;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.parameter.ParameterValues;

/**
 * What a {@link TieringPolicy} sees of a tiered memory: its tiers (fastest first), where each
 * object is, and how often each was touched. A live view: values may change while the policy
 * reads them, and moves it asks for that no longer fit are skipped by the caller.
 */
@ProviderType
public interface TierView {

    /** The tiers, fastest first; a tier's index here is how placements and moves name it. */
    List<TierUsage> tiers();

    /** The number of objects (page frames) in the memory. */
    long objects();

    /** Bytes per object (4096 for page frames). */
    int objectBytes();

    /** How many objects tier {@code tier} holds at most. */
    long capacity(int tier);

    /** How many objects tier {@code tier} holds now. */
    long used(int tier);

    /** The tier object {@code object} is in, or -1 if it was never touched (not placed yet). */
    int tierOf(long object);

    /** Reads of {@code object} since the previous rebalance. */
    int reads(long object);

    /** Writes of {@code object} since the previous rebalance. */
    int writes(long object);

    /**
     * The object's access history, decayed: each rebalance halves it and then adds the accesses
     * of the interval that ended (a write counts twice: it costs a write-back).
     */
    int heat(long object);

    /** The objects touched since the previous rebalance, ascending. */
    long[] touched();

    /** The policy's options, checked against {@link TieringPolicy#options()}. */
    ParameterValues options();

    /** The time between rebalances, in ns. */
    long intervalNanos();
}
