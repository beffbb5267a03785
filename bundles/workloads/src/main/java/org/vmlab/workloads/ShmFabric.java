package org.vmlab.workloads;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The ranks' side of an ivshmem-style pass-through device: one shared-memory file mapped by every
 * rank of a job on the host. Page 0 is a directory, one 64-byte slot per rank: its listen port
 * and whether its device path is open. The rest holds one {@link ShmRing} per ordered pair of
 * ranks (sender, receiver). Ranks at or above {@link #MAX_RANKS} use the fallback path only.
 */
final class ShmFabric {
    static final int MAX_RANKS = 16;
    private static final int SLOT = 64;
    private static final int DIRECTORY = 4096;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final Path file;
    private final MappedByteBuffer map;
    private final int ringBytes;

    private ShmFabric(Path file, MappedByteBuffer map) {
        this.file = file;
        this.map = map;
        int stride = (map.capacity() - DIRECTORY) / (MAX_RANKS * MAX_RANKS);
        this.ringBytes = stride & ~4095;
        if (ringBytes < 2 * 4096) {
            throw new IllegalArgumentException("shared memory " + file + " is too small: " + map.capacity()
                    + " bytes give rings under 8 KiB; use at least " + (DIRECTORY + 2L * 4096 * MAX_RANKS * MAX_RANKS) + " bytes");
        }
    }

    /** Maps the file (which the device model created); at most 2 GiB are used. */
    static ShmFabric open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = Math.min(ch.size(), Integer.MAX_VALUE & ~4095L);
            return new ShmFabric(file, ch.map(FileChannel.MapMode.READ_WRITE, 0, size));
        } catch (IOException e) {
            throw new IllegalStateException("cannot map the device's shared memory " + file + ": " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    /** Publishes where rank {@code rank} listens and whether its device path is open. */
    void publish(int rank, int port, boolean open) {
        LONGS.setRelease(map, rank * SLOT, (long) port);
        LONGS.setRelease(map, rank * SLOT + 8, open ? 1L : 0L);
    }

    /** The rank whose device path is open and that listens on {@code port}, or -1. */
    int openRankAt(int port) {
        for (int r = 0; r < MAX_RANKS; r++) {
            if ((long) LONGS.getAcquire(map, r * SLOT) == port && (long) LONGS.getAcquire(map, r * SLOT + 8) == 1L) {
                return r;
            }
        }
        return -1;
    }

    boolean isOpen(int rank) {
        return (long) LONGS.getAcquire(map, rank * SLOT + 8) == 1L;
    }

    /** The ring that carries {@code from}'s messages to {@code to}. */
    ShmRing ring(int from, int to) {
        int offset = DIRECTORY + (from * MAX_RANKS + to) * ringBytes;
        return new ShmRing(map.slice(offset, ringBytes));
    }
}
