package org.vmlab.workloads;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;

/**
 * The header page a workload keeps at the start of its frames in guest memory, so a migrated or
 * restored guest carries everything a resumed run needs. Words (8 bytes each, accessed with
 * {@link GuestMemory#getLong}/{@link GuestMemory#putLong} only):
 *
 * <pre>
 *   0 magic            5 region page count     9..15  workload-specific static words
 *   1 workload kind    6 task count            16..63 workload-specific global counters
 *   2 layout version   7 parameters hash       64..319 per-task counters, 4 words per task
 *   3 creation stamp   8 check of 0..7, 9..15  320 parameter text length, 321.. the text
 *   4 region first pfn
 * </pre>
 */
final class GuestHeader {

    static final long MAGIC = 0x766d6c61624b5731L; // "vmlabKW1"
    static final long VERSION = 1;
    static final int MAX_TASKS = 64;
    static final int WORDS_PER_TASK = 4;

    private static final int W_MAGIC = 0;
    private static final int W_KIND = 1;
    private static final int W_VERSION = 2;
    private static final int W_CREATED = 3;
    private static final int W_FIRST = 4;
    private static final int W_COUNT = 5;
    private static final int W_TASKS = 6;
    private static final int W_PARAMS_HASH = 7;
    private static final int W_CHECK = 8;
    static final int W_STATIC = 9;     // 9..15
    static final int W_GLOBAL = 16;    // 16..63
    private static final int W_TASK = 64;
    private static final int W_TEXT_LEN = 320;
    private static final int W_TEXT = 321;
    private static final int MAX_TEXT = (Pages.SIZE / 8 - W_TEXT) * 8;

    private static final AtomicLong STAMPS = new AtomicLong();

    private final GuestMemory memory;
    private final long pfn;
    private final long base;

    private GuestHeader(GuestMemory memory, long pfn) {
        this.memory = memory;
        this.pfn = pfn;
        this.base = Pages.offset(pfn);
    }

    /** The header at {@code pfn} of {@code memory}, not checked. */
    static GuestHeader at(GuestMemory memory, long pfn) {
        return new GuestHeader(memory, pfn);
    }

    /** Writes a fresh header at the first frame of {@code region}. */
    static GuestHeader create(GuestMemory memory, String workload, FrameRange region, int tasks,
                              long[] staticWords, Map<String, String> parameters) {
        if (tasks < 1 || tasks > MAX_TASKS) {
            throw new IllegalArgumentException("tasks must be 1.." + MAX_TASKS + ": " + tasks);
        }
        byte[] text = encode(parameters);
        if (text.length > MAX_TEXT) {
            throw new IllegalArgumentException("parameters of workload '" + workload
                    + "' are too long to keep in the guest: " + text.length + " bytes, at most " + MAX_TEXT);
        }
        GuestHeader h = new GuestHeader(memory, region.first());
        memory.writePage(region.first(), ByteBuffer.allocate(Pages.SIZE));
        long stamp = System.currentTimeMillis() * 1000 + (STAMPS.incrementAndGet() % 1000);
        h.put(W_KIND, Mix.fnv64(workload));
        h.put(W_VERSION, VERSION);
        h.put(W_CREATED, stamp);
        h.put(W_FIRST, region.first());
        h.put(W_COUNT, region.count());
        h.put(W_TASKS, tasks);
        h.put(W_PARAMS_HASH, Mix.fnv64(new String(text, StandardCharsets.UTF_8)));
        for (int i = 0; i < staticWords.length && i < 7; i++) {
            h.put(W_STATIC + i, staticWords[i]);
        }
        h.put(W_TEXT_LEN, text.length);
        for (int i = 0; i < text.length; i += 8) {
            long w = 0;
            for (int j = 0; j < 8; j++) {
                w = (w << 8) | (i + j < text.length ? text[i + j] & 0xff : 0);
            }
            h.put(W_TEXT + i / 8, w);
        }
        h.put(W_CHECK, h.computeCheck());
        h.put(W_MAGIC, MAGIC); // last: the header is valid only once complete
        return h;
    }

    /**
     * Finds the newest valid header of {@code workload} in {@code memory} by scanning every
     * frame's first word.
     *
     * @param where what the memory belongs to, for the message ("VM 'a'")
     *
     * @throws VmlabException if there is none
     */
    static GuestHeader find(GuestMemory memory, String workload, String where) {
        return find(memory, workload, where, null);
    }

    /**
     * The header of {@code workload}: at {@code frameHint} (a {@code state-frame} parameter) if a
     * valid one is there, else the newest valid one found by scanning every page.
     */
    static GuestHeader find(GuestMemory memory, String workload, String where, String frameHint) {
        long kind = Mix.fnv64(workload);
        if (frameHint != null) {
            try {
                long p = Long.parseLong(frameHint.trim());
                if (p >= 0 && p < memory.pageCount() && memory.getLong(Pages.offset(p)) == MAGIC
                        && memory.getLong(Pages.offset(p) + 8) == kind) {
                    GuestHeader h = new GuestHeader(memory, p);
                    if (h.problem() == null) {
                        return h;
                    }
                }
            } catch (NumberFormatException e) {
                // not a frame number: scan
            }
        }
        GuestHeader best = null;
        long bestStamp = Long.MIN_VALUE;
        long pages = memory.pageCount();
        for (long p = 0; p < pages; p++) {
            if (memory.getLong(Pages.offset(p)) == MAGIC && memory.getLong(Pages.offset(p) + 8) == kind) {
                GuestHeader h = new GuestHeader(memory, p);
                if (h.problem() == null && h.created() > bestStamp) {
                    best = h;
                    bestStamp = h.created();
                }
            }
        }
        if (best == null) {
            throw new VmlabException(where + " holds no state of workload '" + workload
                    + "' in its memory (no valid header found), so there is nothing to resume; start it instead");
        }
        return best;
    }

    /** Why this is not a valid header, or null if it is. */
    String problem() {
        if (get(W_MAGIC) != MAGIC) {
            return "header page " + pfn + " has no workload magic";
        }
        if (get(W_VERSION) != VERSION) {
            return "header page " + pfn + " has layout version " + get(W_VERSION) + ", expected " + VERSION;
        }
        if (get(W_CHECK) != computeCheck()) {
            return "header page " + pfn + " fails its check word";
        }
        long first = get(W_FIRST);
        long count = get(W_COUNT);
        long tasks = get(W_TASKS);
        if (first != pfn || count < 1 || first + count > memory.pageCount() || tasks < 1 || tasks > MAX_TASKS) {
            return "header page " + pfn + " describes a bad region";
        }
        long len = get(W_TEXT_LEN);
        if (len < 0 || len > MAX_TEXT || Mix.fnv64(new String(textBytes(), StandardCharsets.UTF_8)) != get(W_PARAMS_HASH)) {
            return "header page " + pfn + " has a bad parameter hash";
        }
        return null;
    }

    private long computeCheck() {
        long h = 0x243F6A8885A308D3L;
        for (int i = W_KIND; i < W_STATIC + 7; i++) {
            if (i != W_CHECK) {
                h = Mix.mix64(h ^ get(i));
            }
        }
        return h;
    }

    long pfn() {
        return pfn;
    }

    FrameRange region() {
        return new FrameRange(get(W_FIRST), get(W_COUNT));
    }

    int tasks() {
        return (int) get(W_TASKS);
    }

    long created() {
        return get(W_CREATED);
    }

    long staticWord(int i) {
        return get(W_STATIC + i);
    }

    long global(int i) {
        return get(W_GLOBAL + i);
    }

    void setGlobal(int i, long v) {
        put(W_GLOBAL + i, v);
    }

    long task(int task, int word) {
        return get(W_TASK + task * WORDS_PER_TASK + word);
    }

    void setTask(int task, int word, long v) {
        put(W_TASK + task * WORDS_PER_TASK + word, v);
    }

    /** The parameters stored at creation. */
    Map<String, String> parameters() {
        String text = new String(textBytes(), StandardCharsets.UTF_8);
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return out;
    }

    /** Invalidates the header (the run was discarded). */
    void clear() {
        put(W_MAGIC, 0);
    }

    private byte[] textBytes() {
        int len = (int) Math.max(0, Math.min(MAX_TEXT, get(W_TEXT_LEN)));
        byte[] b = new byte[len];
        for (int i = 0; i < len; i += 8) {
            long w = get(W_TEXT + i / 8);
            for (int j = 0; j < 8 && i + j < len; j++) {
                b[i + j] = (byte) (w >>> (56 - 8 * j));
            }
        }
        return b;
    }

    private static byte[] encode(Map<String, String> parameters) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : parameters.entrySet()) {
            if (e.getValue().indexOf('\n') >= 0) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' holds a line break");
            }
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private long get(int word) {
        return memory.getLong(base + 8L * word);
    }

    private void put(int word, long v) {
        memory.putLong(base + 8L * word, v);
    }
}
