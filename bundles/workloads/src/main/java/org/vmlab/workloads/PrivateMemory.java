package org.vmlab.workloads;

import java.util.SplittableRandom;

import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;

/**
 * A server process's own memory (its heap: sessions, request buffers), part of the run's frames:
 * filled with data once, then each request reads and updates a word in a few of its pages. Tasks
 * with their own memory are what lets a vCPU usefully run another task while one waits for a page
 * in postcopy: the other's pages may be there already.
 */
final class PrivateMemory {
    /** Pages filled per step while a task sets its memory up. */
    static final int FILL_PAGES_PER_STEP = 64;

    private final GuestMemory memory;
    private final GuestHeader header;
    private final int globalWord;
    private final int task;
    private final long first;
    private final long pages;
    private long filled;

    /**
     * @param globalWord the header's global word whose bit {@code task} says the memory is set up
     * @param first      the task's first page
     * @param pages      its page count (0 for none)
     */
    PrivateMemory(GuestMemory memory, GuestHeader header, int globalWord, int task, long first, long pages) {
        this.memory = memory;
        this.header = header;
        this.globalWord = globalWord;
        this.task = task;
        this.first = first;
        this.pages = pages;
        this.filled = ready() ? pages : 0;
    }

    /** Whether the memory is set up (always, where there is none). */
    boolean ready() {
        return pages == 0 || (header.global(globalWord) & (1L << task)) != 0;
    }

    /** Fills a few more pages with data; call while {@link #ready()} is false. */
    void fillStep() {
        long end = Math.min(pages, filled + FILL_PAGES_PER_STEP);
        SplittableRandom rng = new SplittableRandom(header.created() ^ (31L * task));
        for (long p = filled; p < end; p++) {
            long base = Pages.offset(first + p);
            for (int w = 0; w < Pages.SIZE / 8; w++) {
                memory.putLong(base + 8L * w, rng.nextLong());
            }
        }
        filled = end;
        if (filled == pages) {
            synchronized (header) {
                header.setGlobal(globalWord, header.global(globalWord) | (1L << task));
            }
        }
    }

    /**
     * Chooses the words a request will update: one in each of {@code count} random pages (none
     * without memory). Chosen up front, so a step re-run after a postcopy fault touches the same
     * pages rather than new ones.
     */
    long[] choose(SplittableRandom rng, int count) {
        if (pages == 0) {
            return new long[0];
        }
        long[] at = new long[count];
        for (int i = 0; i < count; i++) {
            at[i] = Pages.offset(first + rng.nextLong(pages)) + 8L * rng.nextInt(Pages.SIZE / 8);
        }
        return at;
    }

    /** Reads and updates the word at {@code offset} (one of {@link #choose}'s). */
    void touch(long offset) {
        memory.putLong(offset, memory.getLong(offset) + 1);
    }
}
