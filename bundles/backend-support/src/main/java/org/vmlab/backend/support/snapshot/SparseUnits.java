package org.vmlab.backend.support.snapshot;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;

/**
 * 4 KiB units (memory pages, disk blocks) in a snapshot body, zero units taking one bit each:
 * <pre>
 *   long count   int words   long[words] bitmap of non-zero units   4096 bytes per such unit
 * </pre>
 * So a sparse guest gives a small file. The source is read twice (a scan for the bitmap, then
 * the non-zero units), which needs it not to change in between: the VM is paused.
 */
public final class SparseUnits {
    private SparseUnits() {
    }

    /** The units to write. */
    public interface Source {
        /** Whether unit {@code i} holds only zero bytes. */
        boolean isZero(long i) throws IOException;

        /** Copies unit {@code i} into {@code into} (4096 bytes). */
        void read(long i, byte[] into) throws IOException;
    }

    /** The pages of a guest's memory, which must not change while they are written (a paused VM). */
    public static Source pagesOf(GuestMemory memory) {
        return new Source() {
            @Override
            public boolean isZero(long pfn) {
                return memory.isZero(pfn);
            }

            @Override
            public void read(long pfn, byte[] into) {
                memory.readPage(pfn, ByteBuffer.wrap(into));
            }
        };
    }

    /** Takes the non-zero units read; the zero ones it never hears of. */
    @FunctionalInterface
    public interface Sink {
        void write(long i, byte[] unit) throws IOException;
    }

    public static void write(long count, DataOutputStream out, Source src) throws IOException {
        long[] nonZero = new long[words(count)];
        for (long i = 0; i < count; i++) {
            if (!src.isZero(i)) {
                nonZero[(int) (i >>> 6)] |= 1L << i;
            }
        }
        out.writeLong(count);
        out.writeInt(nonZero.length);
        for (long w : nonZero) {
            out.writeLong(w);
        }
        byte[] unit = new byte[Pages.SIZE];
        for (int k = 0; k < nonZero.length; k++) {
            long w = nonZero[k];
            while (w != 0) {
                long i = ((long) k << 6) + Long.numberOfTrailingZeros(w);
                w &= w - 1;
                src.read(i, unit);
                out.write(unit);
            }
        }
    }

    /**
     * Reads units written by {@link #write}.
     *
     * @param expected how many units there must be (the guest's pages, the disk's blocks)
     * @param what     what they are, for messages: {@code "RAM pages"}
     * @throws BadSnapshot if the count or the bitmap does not fit
     */
    public static void read(DataInputStream in, long expected, String what, Sink sink) throws IOException {
        long count = in.readLong();
        if (count != expected) {
            throw new BadSnapshot("it holds " + count + " " + what + " where its header says " + expected);
        }
        int words = in.readInt();
        if (words != words(count)) {
            throw new BadSnapshot("its bitmap of " + what + " has " + words + " words for " + count);
        }
        long[] nonZero = new long[words];
        for (int i = 0; i < words; i++) {
            nonZero[i] = in.readLong();
        }
        int tail = (int) (count & 63);
        if (tail != 0 && (nonZero[words - 1] & (-1L << tail)) != 0) {
            throw new BadSnapshot("its bitmap names " + what + " beyond the end");
        }
        byte[] unit = new byte[Pages.SIZE];
        for (int k = 0; k < words; k++) {
            long w = nonZero[k];
            while (w != 0) {
                long i = ((long) k << 6) + Long.numberOfTrailingZeros(w);
                w &= w - 1;
                in.readFully(unit);
                sink.write(i, unit);
            }
        }
    }

    private static int words(long count) {
        return (int) ((count + 63) >>> 6);
    }
}
