package org.vmlab.storage.block;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

import org.vmlab.api.VmlabException;

/**
 * One bit per block, kept in a memory-mapped file when it has one (so it survives a restart, as
 * xNBD's cache bitmap does) or in memory. Thread-safe; every change is one word under a lock on
 * the bitmap, which is cheap next to the 4 KiB block I/O it records.
 */
public final class BlockBitmap implements AutoCloseable {
    private final long bits;
    private final LongBuffer words;
    private final MappedByteBuffer mapped;
    private final Path file;
    private long count;

    private BlockBitmap(long bits, LongBuffer words, MappedByteBuffer mapped, Path file) {
        this.bits = bits;
        this.words = words;
        this.mapped = mapped;
        this.file = file;
        long c = 0;
        for (int i = 0; i < words.capacity(); i++) {
            c += Long.bitCount(words.get(i));
        }
        this.count = c;
    }

    public static BlockBitmap inMemory(long bits) {
        return new BlockBitmap(bits, LongBuffer.allocate(wordsFor(bits)), null, null);
    }

    /** Opens (or creates, all clear) the bitmap file; a file of another size is refused. */
    public static BlockBitmap open(Path file, long bits) {
        long bytes = (long) wordsFor(bits) * Long.BYTES;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long have = ch.size();
            if (have != 0 && have != bytes) {
                throw new VmlabException("bitmap " + file + " has " + have + " bytes, not the " + bytes
                        + " a disk of " + bits + " blocks needs; delete it to start over");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
            map.order(ByteOrder.LITTLE_ENDIAN);
            return new BlockBitmap(bits, map.asLongBuffer(), map, file);
        } catch (IOException e) {
            throw new VmlabException("cannot open bitmap " + file + ": " + e.getMessage(), e);
        }
    }

    private static int wordsFor(long bits) {
        long w = (bits + 63) / 64;
        if (w > Integer.MAX_VALUE / Long.BYTES) {
            throw new IllegalArgumentException("too many blocks for one bitmap: " + bits);
        }
        return (int) Math.max(1, w);
    }

    public long size() {
        return bits;
    }

    public synchronized long cardinality() {
        return count;
    }

    public synchronized boolean get(long bit) {
        check(bit);
        return (words.get((int) (bit >>> 6)) & (1L << bit)) != 0;
    }

    /** Sets the bit; true if it was clear. */
    public synchronized boolean set(long bit) {
        check(bit);
        int i = (int) (bit >>> 6);
        long w = words.get(i);
        long m = 1L << bit;
        if ((w & m) != 0) {
            return false;
        }
        words.put(i, w | m);
        count++;
        return true;
    }

    /** Clears the bit; true if it was set. */
    public synchronized boolean clear(long bit) {
        check(bit);
        int i = (int) (bit >>> 6);
        long w = words.get(i);
        long m = 1L << bit;
        if ((w & m) == 0) {
            return false;
        }
        words.put(i, w & ~m);
        count--;
        return true;
    }

    public void setRange(long from, long to) {
        for (long b = from; b < to; b++) {
            set(b);
        }
    }

    public void clearRange(long from, long to) {
        for (long b = from; b < to; b++) {
            clear(b);
        }
    }

    public synchronized void setAll() {
        for (long b = 0; b < bits; b++) {
            int i = (int) (b >>> 6);
            words.put(i, words.get(i) | (1L << b));
        }
        count = bits;
    }

    /** The first set bit at or after {@code from}, or -1. */
    public synchronized long nextSet(long from) {
        for (long b = Math.max(0, from); b < bits; ) {
            long w = words.get((int) (b >>> 6)) >>> (b & 63);
            if (w != 0) {
                long r = b + Long.numberOfTrailingZeros(w);
                return r < bits ? r : -1;
            }
            b = (b | 63) + 1;
        }
        return -1;
    }

    /** The first clear bit at or after {@code from}, or -1. */
    public synchronized long nextClear(long from) {
        for (long b = Math.max(0, from); b < bits; ) {
            long w = ~words.get((int) (b >>> 6)) >>> (b & 63);
            if (w != 0) {
                long r = b + Long.numberOfTrailingZeros(w);
                return r < bits ? r : -1;
            }
            b = (b | 63) + 1;
        }
        return -1;
    }

    /** Writes the mapped pages to the file (no-op in memory). */
    public synchronized void force() {
        if (mapped != null) {
            mapped.force();
        }
    }

    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    private void check(long bit) {
        if (bit < 0 || bit >= bits) {
            throw new IndexOutOfBoundsException("block " + bit + " of " + bits);
        }
    }

    @Override
    public void close() {
        force();
    }
}
