package org.vmlab.tiering;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.vmlab.api.tiering.FrameTiers;
import org.vmlab.api.tiering.TierMove;
import org.vmlab.api.tiering.TierStatus;
import org.vmlab.api.tiering.TierUsage;
import org.vmlab.api.tiering.TierView;
import org.vmlab.api.tiering.TieringPolicy;
import org.vmlab.api.parameter.ParameterValues;

/**
 * The tiers of one guest's page frames. Each frame is in one tier (or none until first touched);
 * every guest access charges its tier and counts for the policy, and {@link #rebalance()} (run by
 * the service every interval) asks the policy for moves and makes them. Frames do not change place
 * in the host's memory: the data stays in the guest's mapping, so a move is a change of the
 * frame's tier plus the cost of copying 4 KiB from one tier to the other, paid by the mover.
 *
 * <p>The access counters are plain ints updated without locks: two vCPUs touching one frame at once
 * may lose a count, which a heuristic policy can bear; placement and tier fill use atomics, so
 * capacities hold exactly.
 */
final class FrameTierMemory implements FrameTiers, TierView {
    static final int FRAME = 4096;
    private static final VarHandle TIER = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final String owner;
    private final String policyName;
    private final TieringPolicy policy;
    private final ParameterValues options;
    private final EmulatedTier[] tiers;
    private final long[] capacity;
    private final AtomicLong[] used;
    private final int frames;
    private final byte[] tierOf;
    private final int[] reads;
    private final int[] writes;
    private final int[] heat;
    private final long[] touched;
    private final long intervalNanos;
    private final Runnable onClose;
    private final AtomicLong promotions = new AtomicLong();
    private final AtomicLong demotions = new AtomicLong();
    private volatile double movesPerSecond;
    private volatile long rebalances;
    private volatile boolean closed;
    private long lastRebalance = System.nanoTime();

    FrameTierMemory(String owner, int frames, List<EmulatedTier> tierList, String policyName, TieringPolicy policy,
                    ParameterValues options, long intervalNanos, Runnable onClose) {
        this.owner = owner;
        this.frames = frames;
        this.tiers = tierList.toArray(new EmulatedTier[0]);
        this.policyName = policyName;
        this.policy = policy;
        this.options = options;
        this.intervalNanos = intervalNanos;
        this.onClose = onClose;
        this.capacity = new long[tiers.length];
        this.used = new AtomicLong[tiers.length];
        for (int i = 0; i < tiers.length; i++) {
            capacity[i] = tiers[i].capacityBytes() / FRAME;
            used[i] = new AtomicLong();
        }
        this.tierOf = new byte[frames];
        java.util.Arrays.fill(tierOf, (byte) -1);
        this.reads = new int[frames];
        this.writes = new int[frames];
        this.heat = new int[frames];
        this.touched = new long[(frames + 63) >>> 6];
    }

    // ------------------------------------------------------------ the guest's accesses

    @Override
    public void access(long pfn, int bytes, boolean write) {
        int f = (int) pfn;
        int t = tierOf[f];
        if (t < 0) {
            t = placeFirst(f);
        }
        if (write) {
            writes[f]++;
        } else {
            reads[f]++;
        }
        int w = f >>> 6;
        long bit = 1L << f;
        if ((touched[w] & bit) == 0) {
            WORDS.getAndBitwiseOr(touched, w, bit);
        }
        EmulatedTier tier = tiers[t];
        if (write) {
            tier.chargeWrite(bytes);
        } else {
            tier.chargeRead(bytes);
        }
    }

    /** Places a frame touched for the first time where the policy says, or the next tier with room. */
    private int placeFirst(int f) {
        int want = policy.place(this, f);
        if (want < 0 || want >= tiers.length) {
            want = 0;
        }
        for (int k = 0; k < tiers.length; k++) {
            int t = (want + k) % tiers.length;
            if (reserve(t)) {
                if (TIER.compareAndSet(tierOf, f, (byte) -1, (byte) t)) {
                    return t;
                }
                used[t].decrementAndGet(); // another vCPU placed it first
                return tierOf[f];
            }
        }
        // Sizes add up to the guest's memory, so a tier always has room for a frame not yet placed.
        throw new IllegalStateException("no tier of " + owner + " has room for frame " + f);
    }

    private boolean reserve(int t) {
        AtomicLong u = used[t];
        long n;
        do {
            n = u.get();
            if (n >= capacity[t]) {
                return false;
            }
        } while (!u.compareAndSet(n, n + 1));
        return true;
    }

    // ------------------------------------------------------------ rebalancing

    /** One rebalance: fold the interval's counts into the heat, ask the policy, make its moves. */
    void rebalance() {
        if (closed) {
            return;
        }
        for (int w = 0; w < touched.length; w++) {
            long bits = touched[w];
            while (bits != 0) {
                int f = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                heat[f] = (int) Math.min(Integer.MAX_VALUE, (long) heat[f] + reads[f] + 2L * writes[f]);
            }
        }
        List<TierMove> moves = policy.rebalance(this);
        int made = 0;
        List<TierMove> blocked = new ArrayList<>();
        for (TierMove m : moves) {
            if (move(m)) {
                made++;
            } else if (m.object() < frames && m.fromTier() < tiers.length && m.toTier() < tiers.length) {
                blocked.add(m);
            }
        }
        made += swap(blocked);
        for (int f = 0; f < frames; f++) {
            heat[f] >>>= 1;
        }
        for (int w = 0; w < touched.length; w++) {
            long bits = (long) WORDS.getAndSet(touched, w, 0L);
            while (bits != 0) {
                int f = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                reads[f] = 0;
                writes[f] = 0;
            }
        }
        long now = System.nanoTime();
        movesPerSecond = made * 1e9 / Math.max(1, now - lastRebalance);
        lastRebalance = now;
        rebalances++;
    }

    /**
     * Moves refused for want of room, made pairwise: a frame going from tier a to b and one going
     * from b to a trade places, so two full tiers can still exchange a hot frame for a cold one.
     */
    private int swap(List<TierMove> blocked) {
        int made = 0;
        boolean[] done = new boolean[blocked.size()];
        for (int i = 0; i < blocked.size(); i++) {
            TierMove x = blocked.get(i);
            for (int j = i + 1; j < blocked.size() && !done[i]; j++) {
                TierMove y = blocked.get(j);
                if (done[j] || y.fromTier() != x.toTier() || y.toTier() != x.fromTier()) {
                    continue;
                }
                int fx = (int) x.object();
                int fy = (int) y.object();
                if (fx == fy || tierOf[fx] != x.fromTier() || tierOf[fy] != y.fromTier()) {
                    continue;
                }
                if (!TIER.compareAndSet(tierOf, fx, (byte) x.fromTier(), (byte) x.toTier())) {
                    continue;
                }
                if (!TIER.compareAndSet(tierOf, fy, (byte) y.fromTier(), (byte) y.toTier())) {
                    tierOf[fx] = (byte) x.fromTier();
                    continue;
                }
                copyCost(x);
                copyCost(y);
                done[i] = true;
                done[j] = true;
                made += 2;
            }
        }
        return made;
    }

    private void copyCost(TierMove m) {
        tiers[m.fromTier()].chargeRead(FRAME);
        tiers[m.toTier()].chargeWrite(FRAME);
        tiers[m.toTier()].settle();
        (m.toTier() < m.fromTier() ? promotions : demotions).incrementAndGet();
    }

    private boolean move(TierMove m) {
        if (m.object() >= frames || m.toTier() >= tiers.length || m.fromTier() >= tiers.length) {
            return false;
        }
        int f = (int) m.object();
        if (tierOf[f] != m.fromTier() || !reserve(m.toTier())) {
            return false;
        }
        if (!TIER.compareAndSet(tierOf, f, (byte) m.fromTier(), (byte) m.toTier())) {
            used[m.toTier()].decrementAndGet();
            return false;
        }
        used[m.fromTier()].decrementAndGet();
        copyCost(m); // the copy: read where it was, write where it goes, paid by the mover
        return true;
    }

    // ------------------------------------------------------------ TierView

    @Override
    public List<TierUsage> tiers() {
        List<TierUsage> out = new ArrayList<>(tiers.length);
        for (int i = 0; i < tiers.length; i++) {
            EmulatedTier t = tiers[i];
            out.add(new TierUsage(t.name(), t.model(), t.capacityBytes(), used[i].get() * FRAME, t.counters()));
        }
        return out;
    }

    @Override
    public long objects() {
        return frames;
    }

    @Override
    public int objectBytes() {
        return FRAME;
    }

    @Override
    public long capacity(int tier) {
        return capacity[tier];
    }

    @Override
    public long used(int tier) {
        return used[tier].get();
    }

    @Override
    public int tierOf(long object) {
        return tierOf[(int) object];
    }

    @Override
    public int reads(long object) {
        return reads[(int) object];
    }

    @Override
    public int writes(long object) {
        return writes[(int) object];
    }

    @Override
    public int heat(long object) {
        return heat[(int) object];
    }

    @Override
    public long[] touched() {
        int n = 0;
        for (long w : touched) {
            n += Long.bitCount(w);
        }
        long[] out = new long[n];
        int k = 0;
        for (int w = 0; w < touched.length && k < n; w++) {
            long bits = touched[w];
            while (bits != 0 && k < n) {
                out[k++] = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
            }
        }
        return k == n ? out : java.util.Arrays.copyOf(out, k);
    }

    @Override
    public ParameterValues options() {
        return options;
    }

    @Override
    public long intervalNanos() {
        return intervalNanos;
    }

    // ------------------------------------------------------------ FrameTiers

    String owner() {
        return owner;
    }

    @Override
    public TierStatus status() {
        long placed = 0;
        for (AtomicLong u : used) {
            placed += u.get();
        }
        return new TierStatus(owner, policyName, tiers(), frames - placed, promotions.get(), demotions.get(),
                movesPerSecond, rebalances);
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }
}
