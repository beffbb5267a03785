package org.vmlab.engines;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;

import org.vmlab.api.DataRate;
import org.vmlab.api.pagecache.SanModel;
import org.vmlab.transport.Frame;
import org.vmlab.transport.TransportException;

/**
 * The page-cache teleport's payloads (see {@link FrameType}), each {@code write} beside its
 * {@code read}: the source opens the SAN path at the destination, then hands it batches of
 * (frame, block, hash of the source's frame); the destination reads the blocks from shared
 * storage, keeps those whose hash matches and names the others, which then cross the network.
 */
final class TeleportMessages {
    /** Most pages one TELEPORT names. */
    static final int MAX_BATCH = 4096;

    private TeleportMessages() {
    }

    /** Opens the SAN path at the destination with the plan's SAN shape. */
    record SanOpen(SanModel model) implements Messages.Message {
        public FrameType type() {
            return FrameType.SAN_OPEN;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(model.rate().bitsPerSecond());
            out.writeLong(model.requestLatency().toNanos());
            out.writeInt(model.queueDepth());
            out.writeInt(model.maxRequestBlocks());
        }

        static SanOpen read(Frame f) throws IOException {
            DataInputStream in = in(f);
            long bits = in.readLong();
            long latency = in.readLong();
            int depth = in.readInt();
            int size = in.readInt();
            if (bits < 0 || latency < 0 || depth < 1 || depth > 256 || size < 1 || size > 1024) {
                throw new TransportException("bad SAN_OPEN: rate " + bits + ", latency " + latency + " ns, depth "
                        + depth + ", request " + size + " blocks");
            }
            return new SanOpen(new SanModel(new DataRate(bits), Duration.ofNanos(latency), depth, size));
        }
    }

    /** Pages to read from shared storage: frame, block and the XXH64 of the source's frame. */
    record Teleport(long[] pfns, long[] blocks, long[] hashes) implements Messages.Message {
        public FrameType type() {
            return FrameType.TELEPORT;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeInt(pfns.length);
            for (int i = 0; i < pfns.length; i++) {
                out.writeLong(pfns[i]);
                out.writeLong(blocks[i]);
                out.writeLong(hashes[i]);
            }
        }

        /** @param pages the destination VM's page count */
        static Teleport read(Frame f, long pages) throws IOException {
            DataInputStream in = in(f);
            int n = in.readInt();
            if (n < 1 || n > MAX_BATCH) {
                throw new TransportException("TELEPORT of " + n + " pages (1.." + MAX_BATCH + ")");
            }
            long[] pfns = new long[n];
            long[] blocks = new long[n];
            long[] hashes = new long[n];
            for (int i = 0; i < n; i++) {
                pfns[i] = in.readLong();
                blocks[i] = in.readLong();
                hashes[i] = in.readLong();
                if (pfns[i] < 0 || pfns[i] >= pages || blocks[i] < 0) {
                    throw new TransportException("TELEPORT names frame " + pfns[i] + ", block " + blocks[i]);
                }
            }
            return new Teleport(pfns, blocks, hashes);
        }
    }

    /** A batch done: SAN bytes read for it and the frames whose block did not match. */
    record Teleported(long bytesSan, long[] mismatched) implements Messages.Message {
        public FrameType type() {
            return FrameType.TELEPORTED;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(bytesSan);
            out.writeInt(mismatched.length);
            for (long pfn : mismatched) {
                out.writeLong(pfn);
            }
        }

        static Teleported read(Frame f) throws IOException {
            DataInputStream in = in(f);
            long bytes = in.readLong();
            int n = in.readInt();
            if (bytes < 0 || n < 0 || n > MAX_BATCH) {
                throw new TransportException("bad TELEPORTED: " + bytes + " bytes, " + n + " mismatches");
            }
            long[] m = new long[n];
            for (int i = 0; i < n; i++) {
                m[i] = in.readLong();
            }
            return new Teleported(bytes, m);
        }
    }

    private static DataInputStream in(Frame f) {
        return new DataInputStream(new ByteArrayInputStream(f.bytes()));
    }
}
