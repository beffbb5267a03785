package org.vmlab.engines;

import java.util.Arrays;
import java.util.BitSet;
import java.util.OptionalDouble;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.migration.MigrationPhase;

/**
 * The iterative phase of precopy while the guest runs: each round sends the stale pages in the
 * ordering policy's order, in stages; after each round the {@link SwitchoverRule} decides whether
 * to go on and {@link AutoConverge} whether to throttle the vCPUs.
 */
final class PrecopyRounds {
    private static final Logger LOG = LoggerFactory.getLogger(PrecopyRounds.class);
    /** Stages smaller than this are not worth a sync. */
    private static final long MIN_STAGE_PAGES = 1024;

    private final Outgoing out;
    private final SwitchoverRule rule;
    private final AutoConverge autoConverge;
    /** How long the latest dirty-log sync took: part of what one more round costs. */
    private long lastSyncNanos;
    /** What the link carried in the last round (its limit where it has one), in bytes per second. */
    private double linkBytesPerSecond;

    /** The page-cache teleport whose network part ends round 0, or null. */
    private final Teleport teleport;

    PrecopyRounds(Outgoing out, SwitchoverRule rule) {
        this(out, rule, null);
    }

    PrecopyRounds(Outgoing out, SwitchoverRule rule, Teleport teleport) {
        this.out = out;
        this.teleport = teleport;
        this.rule = rule;
        this.autoConverge = new AutoConverge(out.options().autoConverge());
    }

    /** The vCPU throttle auto-converge left on (0 = none), for the caller to lift. */
    double throttle() {
        return autoConverge.throttle();
    }

    /** Runs rounds until the rule says switch over; returns the number of the next round. */
    int run() throws Exception {
        out.telemetry().phase(MigrationPhase.PRECOPY);
        int round = 0;
        while (true) {
            out.checkCancelled();
            long bytesBefore = out.telemetry().bytesNetwork();
            long start = System.nanoTime();
            Sent sent = sendStaged(round);
            long dirtied = sent.dirtied();
            long nanos = Math.max(1, System.nanoTime() - start);
            long bytes = out.telemetry().bytesNetwork() - bytesBefore;
            long staleNow = out.stale().count();
            out.telemetry().round(round, sent.counts(), bytes, nanos, staleNow);
            double dirtyBytesPerSecond = dirtied * (double) Pages.SIZE * 1e9 / nanos;
            out.telemetry().dirtyRate(dirtied * 1e9 / nanos);
            double link = out.linkBytesPerSecond(bytes, nanos);
            linkBytesPerSecond = link;
            round++;
            if (sent.allHeld()) {
                LOG.info("migration {}: switchover after round {}: the ordering holds back every one of the {} stale"
                        + " pages until then", out.plan().id(), round - 1, staleNow);
                return round;
            }
            long roundCost = SwitchoverRule.roundCostNanos(lastSyncNanos, nanos, bytes, link);
            SwitchoverRule.Decision d = rule.decide(new SwitchoverRule.Measure(round, (double) staleNow * Pages.SIZE,
                    link, dirtyBytesPerSecond, roundCost, (double) Math.min(staleNow, sent.held()) * Pages.SIZE));
            if (d.switchover()) {
                LOG.info("migration {}: switchover after round {}: {}", out.plan().id(), round - 1, d.why());
                return round;
            }
            LOG.debug("migration {}: round {} done: {}", out.plan().id(), round - 1, d.why());
            OptionalDouble throttle = autoConverge.afterRound(dirtyBytesPerSecond, link);
            if (throttle.isPresent()) {
                out.vm().throttle(throttle.getAsDouble());
                LOG.info("migration {}: auto-converge throttles the vCPUs {}%", out.plan().id(),
                        Math.round(throttle.getAsDouble() * 100));
            }
        }
    }

    /**
     * One round in stages: the ordering policy orders the pages still to send in this round, the
     * first share of them is sent, the dirty log is synced into the history, and the policy orders
     * the rest again with what it just learned. So a page found hot while the round runs (round 0
     * included, before any history exists) can still go to the back of the round (the staged
     * transfer priority of update-history ordering); for orderings that ignore the history, the
     * stages change nothing but when the log is read. Where a sync costs more than a tenth of
     * sending a stage, the rest of the round goes at once.
     *
     * @return what was sent, and the dirty pages the syncs of this round found (a page counted
     *         once per sync)
     */
    private Sent sendStaged(int round) throws Exception {
        PageSender.Counts counts = PageSender.Counts.NONE;
        BitSet remaining = out.stale().copy();
        int stages = out.options().stages();
        long pageCount = out.memory().pageCount();
        long stageSize = Math.max(MIN_STAGE_PAGES, (remaining.cardinality() + stages - 1) / stages);
        long dirtied = 0;
        boolean sentAny = false;
        boolean heldAny = false;
        long held = 0;
        while (!remaining.isEmpty()) {
            PageSet rest = PageSet.ofBitmap(pageCount, remaining.toLongArray());
            PageSet hold = withinBudget(round, out.holdBack(round, rest));
            held = hold.size();
            if (!hold.isEmpty()) {
                // Held pages stay stale: a later round (or the switchover) sends them.
                heldAny = true;
                hold.forEach(pfn -> remaining.clear((int) pfn));
                rest = rest.minus(hold);
                if (rest.isEmpty()) {
                    break;
                }
            }
            sentAny = true;
            long[] order = out.order(round, rest);
            long[] share = order.length <= stageSize ? order : Arrays.copyOf(order, (int) stageSize);
            long sendStart = System.nanoTime();
            counts = counts.plus(out.sender().send(round, share));
            long sendNanos = System.nanoTime() - sendStart;
            for (long pfn : share) {
                remaining.clear((int) pfn);
            }
            out.stale().clear(share); // sent; the sync below marks them again if written since
            long syncStart = System.nanoTime();
            PageSet dirty = out.sync();
            long syncNanos = System.nanoTime() - syncStart;
            lastSyncNanos = syncNanos;
            dirtied += dirty.size();
            if (syncNanos * 10 > sendNanos && stageSize < remaining.cardinality()) {
                // A costly sync (e.g. a content-comparing dirty log) is not worth it mid-round.
                stageSize = remaining.cardinality();
            }
        }
        if (round == 0 && teleport != null) {
            counts = counts.plus(teleport.finishRoundZero(round));
            sentAny = true;
        }
        return new Sent(counts, dirtied, heldAny && !sentAny, held);
    }

    /**
     * The held-back pages the switchover can still take within half the downtime limit: if the
     * ordering holds back more, it keeps the ones it orders last (the likeliest to be written
     * again) and the others are sent now.
     */
    private PageSet withinBudget(int round, PageSet held) {
        double rate = linkBytesPerSecond > 0 ? linkBytesPerSecond : out.linkBytesPerSecond(1_000_000_000L, 1_000_000_000L);
        long budget = (long) (rate * rule.downtimeLimit().toNanos() / 1e9 / 2 / Pages.SIZE);
        if (held.size() <= budget) {
            return held;
        }
        long[] order = out.order(round, held);
        return PageSet.of(held.capacity(), Arrays.copyOfRange(order, order.length - (int) budget, order.length));
    }

    /**
     * @param allHeld whether the ordering held back every page this round had to send
     * @param held    the pages it held back at the round's last stage
     */
    private record Sent(PageSender.Counts counts, long dirtied, boolean allHeld, long held) {
    }
}
