package org.vmlab.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.evacuate.CopyOnReadDevice;
import org.vmlab.storage.nbd.DeviceExport;
import org.vmlab.storage.nbd.Nbd;
import org.vmlab.storage.nbd.NbdClient;
import org.vmlab.storage.nbd.NbdException;
import org.vmlab.storage.nbd.NbdServer;
import org.vmlab.transport.LinkModel;
import org.vmlab.transport.WanLink;

/** Evacuation: pre-cached blocks stay local, missing ones come on demand and in the background; a lost source is reported. */
class EvacuationTest {
    private static final int BLOCKS = 2048; // 8 MiB

    @TempDir
    Path dir;

    private byte[] sourceImage(Path p) throws IOException {
        byte[] b = new byte[BLOCKS * 4096];
        new Random(5).nextBytes(b);
        Files.write(p, b);
        return b;
    }

    @Test
    void precachedHalfStaysLocalTheRestArrivesAndTheDiskVerifies() throws Exception {
        byte[] content = sourceImage(dir.resolve("src.img"));
        // half pre-cached at the destination
        Path img = dir.resolve("dst.img");
        byte[] half = content.clone();
        java.util.Arrays.fill(half, BLOCKS / 2 * 4096, half.length, (byte) 0);
        Files.write(img, half);
        try (BlockBitmap b = BlockBitmap.open(dir.resolve("dst.bitmap"), BLOCKS)) {
            b.setRange(0, BLOCKS / 2);
        }
        try (FileBlockDevice src = FileBlockDevice.open(dir.resolve("src.img"), 0, false);
             NbdServer a = NbdServer.start("127.0.0.1", 0, 8, 5000);
             NbdServer dst = NbdServer.start("127.0.0.1", 0, 8, 5000)) {
            a.addExport(new DeviceExport("vm", "", src, null));
            Exports exports = new Exports(dst, dir);
            List<String> progress = new ArrayList<>();
            EvacuationReport r = exports.evacuate(new EvacuationPlan(new Endpoint("127.0.0.1", a.port()), "vm", img,
                    dir.resolve("dst.bitmap"), "vm", 8, 2, true, java.util.Map.of("link-rtt", "5ms")), progress::add);
            assertTrue(r.completed(), r.status());
            assertEquals(Boolean.TRUE, r.verified());
            assertEquals(BLOCKS / 2, r.blocksLocal());
            assertEquals(BLOCKS / 2, r.blocksBackground() + r.blocksOnDemand() + r.blocksReadAhead());
            assertEquals(BLOCKS / 2 * 4096L, r.bytesReceived());
            assertEquals(0, r.blocksMissing());
            assertArrayEquals(content, Files.readAllBytes(img));
            // served by the destination's NBD server after the switch, source closed
            a.close();
            try (NbdClient c = NbdClient.connect("127.0.0.1", dst.port(), "vm", List.of(Nbd.VMLAB_CACHED), 4, 5000)) {
                ByteBuffer blk = ByteBuffer.allocate(4096);
                c.read((BLOCKS - 1) * 4096L, blk);
                assertArrayEquals(java.util.Arrays.copyOfRange(content, (BLOCKS - 1) * 4096, BLOCKS * 4096),
                        blk.array());
                assertEquals(BLOCKS * 4096, c.blockStatus(Nbd.VMLAB_CACHED, 0, BLOCKS * 4096).get(0).length());
            }
            exports.close();
        }
    }

    @Test
    void copyOnReadFetchesOnDemandWithReadAheadAndKeepsLocalWrites() throws Exception {
        byte[] content = sourceImage(dir.resolve("s.img"));
        try (FileBlockDevice src = FileBlockDevice.open(dir.resolve("s.img"), 0, false);
             NbdServer a = NbdServer.start("127.0.0.1", 0, 8, 5000);
             FileBlockDevice local = FileBlockDevice.open(dir.resolve("l.img"), BLOCKS * 4096L, false)) {
            a.addExport(new DeviceExport("vm", "", src, null));
            NbdClient c = NbdClient.connect("127.0.0.1", a.port(), "vm", List.of(), 16, 5000);
            CopyOnReadDevice d = new CopyOnReadDevice(local, BlockBitmap.inMemory(BLOCKS), List.of(c), 4);
            ByteBuffer buf = ByteBuffer.allocate(100);
            d.readAt(10 * 4096 + 7, buf);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 10 * 4096 + 7, 10 * 4096 + 107), buf.array());
            assertEquals(1, d.onDemand());
            assertEquals(4, d.readAhead());
            assertTrue(d.bitmap().get(14) && !d.bitmap().get(15));
            // a partial write to a missing block keeps the block's other bytes
            d.writeAt(20 * 4096 + 10, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            ByteBuffer blk = ByteBuffer.allocate(4096);
            d.readAt(20 * 4096, blk);
            byte[] want = java.util.Arrays.copyOfRange(content, 20 * 4096, 21 * 4096);
            want[10] = 1;
            want[11] = 2;
            want[12] = 3;
            assertArrayEquals(want, blk.array());
            // a whole-block write needs no fetch
            long before = d.bytesReceived();
            d.writeAt(100 * 4096, ByteBuffer.allocate(4096));
            assertEquals(before, d.bytesReceived());
            c.close();
        }
    }

    @Test
    void aSourceKilledMidCopyLeavesADestinationThatNamesWhatItNeverGot() throws Exception {
        sourceImage(dir.resolve("k.img"));
        try (FileBlockDevice src = FileBlockDevice.open(dir.resolve("k.img"), 0, false);
             NbdServer dst = NbdServer.start("127.0.0.1", 0, 8, 5000)) {
            NbdServer a = NbdServer.start("127.0.0.1", 0, 8, 5000);
            a.addExport(new DeviceExport("vm", "", src, null));
            // 8 MiB over 20 Mbit/s: ~3.4 s, so the kill lands mid-copy.
            WanLink wan = WanLink.start(LinkModel.of(DataRate.parse("20m"), Duration.ofMillis(10)),
                    new InetSocketAddress("127.0.0.1", a.port()));
            Exports exports = new Exports(dst, dir);
            Thread killer = new Thread(() -> {
                try {
                    Thread.sleep(800);
                } catch (InterruptedException ignored) {
                    return;
                }
                a.close();
                wan.close();
            });
            killer.start();
            EvacuationReport r = exports.evacuate(new EvacuationPlan(new Endpoint("127.0.0.1", wan.port()), "vm",
                    dir.resolve("kd.img"), dir.resolve("kd.bitmap"), "vm", 0, 1, true, null), s -> { });
            killer.join();
            assertFalse(r.completed(), r.status());
            assertTrue(r.status().contains("source"), r.status());
            assertTrue(r.blocksMissing() > 0 && r.blocksMissing() < BLOCKS, "missing " + r.blocksMissing());
            assertFalse(r.missingRanges().isEmpty());
            // the destination still serves what it has, and says EIO for what it never got
            long missing = Long.parseLong(r.missingRanges().get(0).split("-")[0]);
            try (NbdClient c = NbdClient.connect("127.0.0.1", dst.port(), "vm", List.of(Nbd.VMLAB_CACHED), 4, 5000)) {
                NbdException e = assertThrows(NbdException.class, () -> c.read(missing * 4096, ByteBuffer.allocate(4096)));
                assertEquals(Nbd.EIO, e.error());
                assertEquals(0, c.blockStatus(Nbd.VMLAB_CACHED, missing * 4096, 4096).get(0).state());
                c.read(0, ByteBuffer.allocate(4096)); // block 0 arrived first
            }
            exports.close();
        }
    }
}
