package org.vmlab.tiering;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.tiering.Calibration;
import org.vmlab.api.tiering.MemoryTier;
import org.vmlab.api.tiering.TierCounters;
import org.vmlab.api.tiering.TierModel;
import org.vmlab.api.tiering.TierRegion;

/**
 * A memory tier whose costs are emulated: each charge adds the model's latency less what the host
 * already spent on the access (the calibrated DRAM latency, Quartz's "target minus hardware
 * latency"), and reserves the transfer on the tier's bandwidth clocks. Reads and write-backs are
 * charged apart (Koshiba et al.): a write-back costs the write latency and whole media blocks of
 * write bandwidth.
 */
final class EmulatedTier implements MemoryTier {
    private final String name;
    private final TierModel model;
    private final long capacity;
    private final Path memoryDir;
    private final DelayDebt debt;
    private final long readExtraNanos;
    private final long writeExtraNanos;
    private final BandwidthClock readClock;
    private final BandwidthClock writeClock;
    private final double readNanosPerByte;
    private final double writeNanosPerByte;
    private final AtomicLong allocated = new AtomicLong();
    private final LongAdder reads = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder charged = new LongAdder();

    EmulatedTier(String name, long capacityBytes, TierModel model, Calibration calibration, DelayDebt debt,
                 Path memoryDir) {
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("tier '" + name + "' needs a capacity > 0: " + capacityBytes);
        }
        this.name = name;
        this.model = model;
        this.capacity = capacityBytes;
        this.memoryDir = memoryDir;
        this.debt = debt;
        // A model slower than nothing charges nothing: the "dram" preset is the host as it is.
        this.readExtraNanos = model.readLatencyNanos() == 0 ? 0
                : Math.max(0, Math.round(model.readLatencyNanos() - calibration.hostReadNanos()));
        this.writeExtraNanos = model.writeLatencyNanos() == 0 ? 0
                : Math.max(0, Math.round(model.writeLatencyNanos() - calibration.hostWriteBackNanos()));
        this.readClock = model.readBytesPerSecond() > 0 ? new BandwidthClock() : null;
        this.writeClock = model.writeBytesPerSecond() > 0 ? new BandwidthClock() : null;
        this.readNanosPerByte = model.readBytesPerSecond() > 0 ? 1e9 / model.readBytesPerSecond() : 0;
        this.writeNanosPerByte = model.writeBytesPerSecond() > 0 ? 1e9 / model.writeBytesPerSecond() : 0;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TierModel model() {
        return model;
    }

    @Override
    public long capacityBytes() {
        return capacity;
    }

    @Override
    public long allocatedBytes() {
        return allocated.get();
    }

    /** The latency each read adds to what the host spends, in ns. */
    long readExtraNanos() {
        return readExtraNanos;
    }

    long writeExtraNanos() {
        return writeExtraNanos;
    }

    @Override
    public TierRegion allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("a region of tier '" + name + "' needs a size > 0: " + bytes);
        }
        long now;
        do {
            now = allocated.get();
            if (now + bytes > capacity) {
                throw new VmlabException("tier '" + name + "' has " + new ByteSize(capacity - now) + " left, not "
                        + new ByteSize(bytes));
            }
        } while (!allocated.compareAndSet(now, now + bytes));
        try {
            return MappedArena.create(this, memoryDir, bytes, () -> allocated.addAndGet(-bytes));
        } catch (IOException e) {
            allocated.addAndGet(-bytes);
            throw new VmlabException("cannot map " + new ByteSize(bytes) + " for tier '" + name + "' in " + memoryDir
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void chargeRead(long bytes) {
        reads.increment();
        bytesRead.add(bytes);
        // The first media block travels within the latency; the rest streams at the bandwidth.
        long media = model.mediaBytes(bytes);
        long streamNanos = (long) (Math.max(0, media - model.mediaBlockBytes()) * readNanosPerByte);
        long nanos = readExtraNanos + streamNanos;
        charged.add(nanos);
        debt.charge(nanos, readClock, (long) (media * readNanosPerByte));
    }

    @Override
    public void chargeWrite(long bytes) {
        writes.increment();
        long media = model.mediaBytes(bytes);
        bytesWritten.add(media);
        long streamNanos = (long) (Math.max(0, media - model.mediaBlockBytes()) * writeNanosPerByte);
        long nanos = writeExtraNanos + streamNanos;
        charged.add(nanos);
        debt.charge(nanos, writeClock, (long) (media * writeNanosPerByte));
    }

    @Override
    public void settle() {
        debt.settle();
    }

    @Override
    public TierCounters counters() {
        return new TierCounters(reads.sum(), writes.sum(), bytesRead.sum(), bytesWritten.sum(), charged.sum());
    }

    @Override
    public String toString() {
        return "tier " + name + " (" + model.name() + ", " + new ByteSize(capacity) + ")";
    }
}
