package org.vmlab.experiment.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * A fresh disk image filled with incompressible bytes from a fixed seed: every run of a spec gets
 * the same content, and files read through the guest's page cache are real pages, not zero pages
 * that engines elide.
 */
final class DiskFill {
    static final long SEED = 42;
    private static final int CHUNK = 1 << 20;

    private DiskFill() {
    }

    static void random(Path image, long bytes) throws IOException {
        SplittableRandom random = new SplittableRandom(SEED);
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long done = 0; done < bytes; done += CHUNK) {
                buf.clear();
                while (buf.remaining() >= Long.BYTES) {
                    buf.putLong(random.nextLong());
                }
                buf.flip();
                buf.limit((int) Math.min(CHUNK, bytes - done));
                while (buf.hasRemaining()) {
                    if (Thread.interrupted()) {
                        throw new java.io.InterruptedIOException("stopped while filling " + image);
                    }
                    ch.write(buf);
                }
            }
        }
    }
}
