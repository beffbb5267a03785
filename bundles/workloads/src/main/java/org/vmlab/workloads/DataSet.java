package org.vmlab.workloads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.ByteSize;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.vm.Vm;

/**
 * The content of a workload's data set on the guest disk (a web server's files, a database's
 * table): realistic bytes, never zeros, since every engine elides zero pages and a page cache of
 * zeros would measure nothing. Each block starts with a signature (magic and kind, block number,
 * seed), so a data set already on the image is recognised and reused, not written again.
 *
 * <p>Kinds: {@code random} (incompressible), {@code html} (HTML-like text; LZ4 takes it to 0.575
 * of its size over 2,000 blocks), {@code zero} (the bare disk, to compare with).
 */
final class DataSet {
    private static final Logger LOG = LoggerFactory.getLogger(DataSet.class);
    static final String RANDOM = "random";
    static final String HTML = "html";
    static final String ZERO = "zero";
    static final String HTML_NOTE = "html: HTML-like text that LZ4 compresses to about 0.58 of its size";
    private static final long MAGIC = 0x766D_6C61_6244_4154L; // "vmlabDAT"
    /** Blocks one fill task writes at once. */
    private static final int FILL_BLOCKS = 256;
    private static final byte[][] WORDS = words();

    private DataSet() {
    }

    /** A choice parameter {@code content} for a workload's data set. */
    static Param param() {
        return Param.choice("content", RANDOM, "what the data set holds: random (incompressible), " + HTML_NOTE
                + ", or zero (an empty disk, for comparison)", RANDOM, HTML, ZERO).layout();
    }

    /**
     * Makes blocks {@code [0, blocks)} of the VM's disk hold data set content of {@code kind},
     * unless they already do. Written straight to the disk in large writes on every processor
     * while the guest's page cache holds none of it; through the page cache otherwise.
     */
    static void ensure(String workload, Vm vm, GuestOs os, long blocks, String kind, long seed) {
        Optional<BlockDevice> disk = vm.disk();
        if (ZERO.equals(kind) || blocks == 0 || present(os, disk, blocks, kind, seed)) {
            return;
        }
        long start = System.nanoTime();
        boolean direct = disk.isPresent() && !disk.get().isReadOnly() && os.cachedPages() == 0;
        LongStream.range(0, (blocks + FILL_BLOCKS - 1) / FILL_BLOCKS).parallel().forEach(chunk -> {
            long first = chunk * FILL_BLOCKS;
            int n = (int) Math.min(FILL_BLOCKS, blocks - first);
            ByteBuffer buf = ByteBuffer.allocate(n * Pages.SIZE);
            for (int i = 0; i < n; i++) {
                fill(buf.slice(i * Pages.SIZE, Pages.SIZE), first + i, kind, seed);
            }
            if (direct) {
                disk.get().write(first, n, buf);
            } else {
                for (int i = 0; i < n; i++) {
                    os.write(first + i, buf.slice(i * Pages.SIZE, Pages.SIZE));
                }
            }
        });
        if (!direct) {
            os.writeBack();
        }
        LOG.info("{} on VM {}: wrote a {} data set of {} ({}) in {} ms", workload, vm.id(), kind,
                new ByteSize(blocks * Pages.SIZE), direct ? "to the disk" : "through the page cache",
                (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * Whether the first, middle and last blocks already hold this data set (read from the disk
     * where there is one, so that the check leaves nothing in the page cache).
     */
    private static boolean present(GuestOs os, Optional<BlockDevice> disk, long blocks, String kind, long seed) {
        ByteBuffer b = ByteBuffer.allocate(Pages.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (long block : new long[]{0, blocks / 2, blocks - 1}) {
            b.clear();
            if (disk.isPresent() && os.dirtyCachedPages() == 0) {
                disk.get().read(block, b);
            } else {
                os.read(block, b);
            }
            if (b.getLong(0) != (MAGIC ^ kind.hashCode()) || b.getLong(8) != block || b.getLong(16) != seed) {
                return false;
            }
        }
        return true;
    }

    /** The content of one block (4096 bytes from {@code dst}'s position). */
    static void fill(ByteBuffer dst, long block, String kind, long seed) {
        ByteBuffer b = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        b.putLong(MAGIC ^ kind.hashCode()).putLong(block).putLong(seed);
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ block);
        if (RANDOM.equals(kind)) {
            while (b.position() < base + Pages.SIZE) {
                b.putLong(rng.nextLong());
            }
            return;
        }
        // Paragraphs of words, most from a small vocabulary (as in real text), with markup.
        byte[] open = "<p class=\"c".getBytes(StandardCharsets.US_ASCII);
        while (b.position() < base + Pages.SIZE) {
            byte[] piece = rng.nextInt(12) == 0 ? open : WORDS[Math.min(WORDS.length - 1,
                    (int) (Math.abs(rng.nextGaussian()) * WORDS.length / 3))];
            int room = base + Pages.SIZE - b.position();
            b.put(piece, 0, Math.min(room, piece.length));
            if (b.position() < base + Pages.SIZE) {
                b.put(rng.nextInt(9) == 0 ? (byte) '\n' : (byte) ' ');
            }
        }
    }

    private static byte[][] words() {
        String text = "the of and to in is that for it as with was on be by this are at from or an have not"
                + " which but they were their has had all one can more will its also there would about other"
                + " server request response page cache memory migration virtual machine guest host network"
                + " storage block disk data table index query result value time second first last next new"
                + " </p> <div> </div> <span> </span> <a href=\"/index.html\"> </a> <li> </li> <td> </td>";
        String[] w = text.split(" ");
        byte[][] out = new byte[w.length][];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i].getBytes(StandardCharsets.US_ASCII);
        }
        return out;
    }
}
