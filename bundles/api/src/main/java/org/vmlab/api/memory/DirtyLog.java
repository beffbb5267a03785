package org.vmlab.api.memory;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Tells which pages the guest wrote since the last look, as precopy rounds need. A guest has one
 * dirty log; a migration starts it before its first round and stops it when it ends.
 *
 * <p>Detection is precise where the backend sees every write (emu). Where it cannot (qemu, whose
 * guest writes to shared memory bypass the JVM), pages are found dirty by comparing content with
 * the previous sync, so a page written back to its old content is not reported, and a change may
 * be missed with the probability of a 64-bit hash collision; verification compares full content.
 */
@ProviderType
public interface DirtyLog {

    /**
     * Begins logging with an empty set: only pages written after this call are reported.
     *
     * @throws IllegalStateException if the log is already running (another migration owns it)
     */
    void start();

    /**
     * The pages written since the previous sync (or since {@link #start()}), with capacity
     * {@link GuestMemory#pageCount()}; atomically begins a new interval, so no write is lost
     * between two syncs.
     *
     * @throws IllegalStateException if the log is not running
     */
    PageSet sync();

    /** Ends logging and frees its bookkeeping; does nothing if the log is not running. */
    void stop();

    boolean isLogging();

    /**
     * Whether every write is seen (true), or dirty pages are found by content comparison (false),
     * in which case {@link #sync()} costs time in proportion to guest memory.
     */
    boolean isPrecise();
}
