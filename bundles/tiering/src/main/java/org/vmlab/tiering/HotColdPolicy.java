package org.vmlab.tiering;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.tiering.TierMove;
import org.vmlab.api.tiering.TierView;
import org.vmlab.api.tiering.TieringPolicy;

/**
 * Frequency-based hot/cold tiering: frames are placed first-touch; at each rebalance the hottest
 * frames of the slower tiers (decayed access count at least {@code hot-threshold}) move to the
 * fastest tier, and when it is full its coldest frames move down to make room, but only frames
 * colder than the one coming in (so two frames never swap places back and forth). At most
 * {@code max-moves} promotions a rebalance bound the copy traffic.
 */
@Component(property = {"vmlab.family=tiering", "vmlab.name=hot-cold",
        "vmlab.description=By access frequency: hot frames promoted to the fastest tier, its coldest demoted to make room"})
public final class HotColdPolicy implements TieringPolicy {
    static final Parameter HOT_THRESHOLD = Parameter.integer("hot-threshold", "4", 1, 1_000_000,
            "decayed accesses (a write counts 2; halved every rebalance) that make a frame of a slower tier hot");
    static final Parameter MAX_MOVES = Parameter.integer("max-moves", "1024", 1, 1_000_000,
            "most promotions per rebalance (each may need one demotion); bounds the copy traffic");

    @Override
    public List<Parameter> options() {
        return List.of(HOT_THRESHOLD, MAX_MOVES);
    }

    @Override
    public int place(TierView view, long object) {
        return 0;
    }

    @Override
    public List<TierMove> rebalance(TierView view) {
        if (view.tiers().size() < 2) {
            return List.of();
        }
        int threshold = view.options().intValue(HOT_THRESHOLD.name());
        int maxMoves = view.options().intValue(MAX_MOVES.name());
        long[] hot = hottestSlowFrames(view, threshold, maxMoves);
        if (hot.length == 0) {
            return List.of();
        }
        long room = view.capacity(0) - view.used(0);
        int coolest = view.heat(hot[hot.length - 1]);
        long[] victims = room >= hot.length ? new long[0]
                : coldestFastFrames(view, (int) (hot.length - room), coolest);
        List<TierMove> moves = new ArrayList<>();
        for (long v : victims) {
            moves.add(new TierMove(v, 0, 1));
        }
        long slots = Math.max(0, room) + victims.length;
        for (int i = 0; i < hot.length && i < slots; i++) {
            moves.add(new TierMove(hot[i], view.tierOf(hot[i]), 0));
        }
        return moves;
    }

    /** Touched frames outside tier 0 with heat >= threshold, hottest first, at most {@code max}. */
    private static long[] hottestSlowFrames(TierView view, int threshold, int max) {
        long[] touched = view.touched();
        long[] keyed = new long[touched.length];
        int n = 0;
        for (long f : touched) {
            int h = view.heat(f);
            if (view.tierOf(f) > 0 && h >= threshold) {
                keyed[n++] = ((long) (Integer.MAX_VALUE - h) << 32) | f; // sorts hottest first
            }
        }
        Arrays.sort(keyed, 0, n);
        long[] out = new long[Math.min(n, max)];
        for (int i = 0; i < out.length; i++) {
            out[i] = keyed[i] & 0xFFFF_FFFFL;
        }
        return out;
    }

    /**
     * Up to {@code need} frames of tier 0 colder than {@code below}, coldest first: a histogram of
     * heat finds the cut, a second pass collects (two passes over the frames, no sort).
     */
    private static long[] coldestFastFrames(TierView view, int need, int below) {
        int bins = Math.min(below, 1 << 16);
        long[] hist = new long[bins];
        long frames = view.objects();
        for (long f = 0; f < frames; f++) {
            int h = view.heat(f);
            if (h < below && view.tierOf(f) == 0) {
                hist[Math.min(h, bins - 1)]++;
            }
        }
        int cut = 0;
        long below_cut = 0;
        while (cut < bins && below_cut + hist[cut] < need) {
            below_cut += hist[cut];
            cut++;
        }
        long[] out = new long[need];
        int n = 0;
        int atCut = 0;
        long wantAtCut = need - below_cut;
        for (long f = 0; f < frames && n < need; f++) {
            int h = view.heat(f);
            if (h >= below || view.tierOf(f) != 0) {
                continue;
            }
            int bin = Math.min(h, bins - 1);
            if (bin < cut) {
                out[n++] = f;
            } else if (bin == cut && atCut < wantAtCut) {
                out[n++] = f;
                atCut++;
            }
        }
        return Arrays.copyOf(out, n);
    }
}
