package org.vmlab.storage.block;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.vmlab.api.storage.BlockDevice;

/**
 * Byte ranges over any {@link BlockDevice} (a VM's disk): whole blocks go straight through, the
 * partial blocks at either end are read, patched and written back under a per-block lock so two
 * partial writes to one block do not lose each other's bytes.
 */
public final class BlockDeviceRanges implements ByteRangeStore {
    private static final int STRIPES = 64;

    private final BlockDevice device;
    private final int bs;
    private final Object[] stripes = new Object[STRIPES];

    public BlockDeviceRanges(BlockDevice device) {
        this.device = device;
        this.bs = device.blockSize();
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    /** The device as byte ranges: itself if it already is one. */
    public static ByteRangeStore of(BlockDevice device) {
        return device instanceof ByteRangeStore r ? r : new BlockDeviceRanges(device);
    }

    @Override
    public long size() {
        return device.sizeBytes();
    }

    @Override
    public void readAt(long offset, ByteBuffer dst) {
        ByteBuffer block = ByteBuffer.allocate(bs);
        while (dst.hasRemaining()) {
            long b = offset / bs;
            int in = (int) (offset % bs);
            int n = Math.min(bs - in, dst.remaining());
            if (in == 0 && n == bs) {
                device.read(b, dst);
            } else {
                block.clear();
                device.read(b, block);
                dst.put(block.array(), in, n);
            }
            offset += n;
        }
    }

    @Override
    public void writeAt(long offset, ByteBuffer src) {
        ByteBuffer block = ByteBuffer.allocate(bs);
        while (src.hasRemaining()) {
            long b = offset / bs;
            int in = (int) (offset % bs);
            int n = Math.min(bs - in, src.remaining());
            if (in == 0 && n == bs) {
                int whole = src.remaining() / bs;
                device.write(b, whole, src);
                offset += (long) whole * bs;
                continue;
            }
            synchronized (stripes[(int) (b % STRIPES)]) {
                block.clear();
                device.read(b, block);
                src.get(block.array(), in, n);
                block.clear();
                device.write(b, block);
            }
            offset += n;
        }
    }

    @Override
    public void flush() {
        device.flush();
    }

    @Override
    public boolean isReadOnly() {
        return device.isReadOnly();
    }
}
