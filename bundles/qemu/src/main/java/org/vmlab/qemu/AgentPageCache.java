package org.vmlab.qemu;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.guest.PageCacheReporter;

/**
 * A QEMU guest's clean page cache as vmlab-agent reports it (op {@code pagecache-map}: mincore,
 * /proc/self/pagemap and FIEMAP inside the guest, no kernel module). The agent names
 * guest-physical frames; they become RAM-file frames here (q35 puts RAM above 2816 MiB at 4 GiB,
 * leaving a hole the RAM file does not have).
 */
final class AgentPageCache implements PageCacheReporter {
    static final Duration PING_TIMEOUT = Duration.ofSeconds(3);
    /** Walking a few GiB of cache under TCG takes seconds; the reply is megabytes. */
    static final Duration MAP_TIMEOUT = Duration.ofSeconds(120);
    /** q35: RAM beyond this size is split, the first 2 GiB low and the rest from 4 GiB. */
    static final long Q35_LOW_LIMIT = 0xB000_0000L;
    static final long PAGE = 4096;

    private final GuestAgentChannel agent;
    private final long ramBytes;
    private final boolean hasDisk;

    AgentPageCache(GuestAgentChannel agent, long ramBytes, boolean hasDisk) {
        this.agent = agent;
        this.ramBytes = ramBytes;
        this.hasDisk = hasDisk;
    }

    @Override
    public Optional<String> unavailableReason() {
        if (!hasDisk) {
            return Optional.of("the VM has no data disk, so it has no restorable page cache");
        }
        try {
            agent.request("ping", Map.of(), PING_TIMEOUT);
            return Optional.empty();
        } catch (VmlabException e) {
            return Optional.of("vmlab-agent in the guest does not answer (" + e.getMessage() + ")");
        }
    }

    @Override
    public PageCacheMap cleanPageCache() {
        Map<String, Object> reply = agent.request("pagecache-map", Map.of(), MAP_TIMEOUT);
        if (!(reply.get("map") instanceof List<?> runs)) {
            throw new VmlabException("the guest agent's pagecache-map reply has no \"map\" array");
        }
        long pages = Json.num(reply, "pages", -1);
        if (pages < 0 || pages > Integer.MAX_VALUE) {
            throw new VmlabException("the guest agent's pagecache-map reply has a bad \"pages\": " + reply.get("pages"));
        }
        long[] pfns = new long[(int) pages];
        long[] blocks = new long[(int) pages];
        int n = 0;
        for (Object r : runs) {
            long[] run = run(r);
            for (long i = 0; i < run[2]; i++) {
                long frame = ramFrame(run[0] + i);
                if (frame < 0) {
                    continue; // not RAM the file holds (cannot happen for page cache; dropped, never guessed)
                }
                if (n == pfns.length) {
                    throw new VmlabException("the guest agent's pagecache-map runs hold more than its "
                            + pages + " pages");
                }
                pfns[n] = frame;
                blocks[n++] = run[1] + i;
            }
        }
        return PageCacheMap.of(java.util.Arrays.copyOf(pfns, n), java.util.Arrays.copyOf(blocks, n));
    }

    /** {@code [pfn, block, length]} of one run, checked. */
    private static long[] run(Object r) {
        if (r instanceof List<?> l && l.size() == 3 && l.get(0) instanceof Long pfn && l.get(1) instanceof Long block
                && l.get(2) instanceof Long len && pfn >= 0 && block >= 0 && len > 0) {
            return new long[] {pfn, block, len};
        }
        throw new VmlabException("the guest agent's pagecache-map has a bad run " + r
                + " (expected [frame, block, length])");
    }

    /** The RAM-file frame of guest-physical frame {@code gpfn}, or -1 outside guest RAM. */
    long ramFrame(long gpfn) {
        long gpa = gpfn * PAGE;
        if (ramBytes <= Q35_LOW_LIMIT) {
            return gpa < ramBytes ? gpfn : -1;
        }
        long low = 2L << 30;
        if (gpa < low) {
            return gpfn;
        }
        long high = 4L << 30;
        return gpa >= high && gpa - high < ramBytes - low ? (gpa - high + low) / PAGE : -1;
    }
}
