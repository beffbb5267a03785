package org.vmlab.storage.precache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.nbd.DeviceExport;
import org.vmlab.storage.nbd.NbdServer;

/** Pre-caching to a real NBD cache export: full copy, re-sent writes, invalidation, a lost backup, resume. */
class PrecacheTest {
    private static final int BLOCKS = 1024; // 4 MiB

    @TempDir
    Path dir;

    private static void await(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private PrecacheOptions options(Path bitmap, Map<String, String> more) {
        Map<String, String> p = new java.util.HashMap<>(more);
        p.put("export", "backup");
        p.put("bitmap", bitmap.toString());
        return new PrecacheOptions(DataRate.UNLIMITED, Duration.ofMillis(50), p);
    }

    private static byte[] content(FileBlockDevice d) throws Exception {
        byte[] b = new byte[(int) d.sizeBytes()];
        d.readAt(0, ByteBuffer.wrap(b));
        return b;
    }

    @Test
    void allCopiesTheDiskThenEveryWriteAndSurvivesALostBackupSite() throws Exception {
        Path srcImg = dir.resolve("src.img");
        byte[] init = new byte[BLOCKS * 4096];
        new Random(1).nextBytes(init);
        Files.write(srcImg, init);
        try (FileBlockDevice src = FileBlockDevice.open(srcImg, 0, false);
             FileBlockDevice backup = FileBlockDevice.open(dir.resolve("backup.img"), BLOCKS * 4096L, false)) {
            BlockBitmap backupBits = BlockBitmap.open(dir.resolve("backup.bitmap"), BLOCKS);
            NbdServer server = NbdServer.start("127.0.0.1", 0, 8, 5000);
            int port = server.port();
            server.addExport(new DeviceExport("backup", "", backup, backupBits, true));
            Path bitmap = dir.resolve("src.bitmap");
            PrecacheSession s = new AllPrecacher().start(src, new Endpoint("127.0.0.1", port), options(bitmap,
                    Map.of()));
            await(() -> s.stats().blocksCached() == BLOCKS, "the full copy");
            assertArrayEquals(content(src), content(backup));
            assertEquals(BLOCKS, backupBits.cardinality());

            // A write is tracked, invalidated at the backup, and sent again.
            ByteBuffer w = ByteBuffer.allocate(4096);
            new Random(2).nextBytes(w.array());
            src.write(7, w);
            await(() -> s.stats().blocksCached() == BLOCKS && backupBits.cardinality() == BLOCKS, "re-send");
            assertArrayEquals(content(src), content(backup));
            long sent = s.stats().bytesSent();
            assertTrue(sent >= BLOCKS * 4096L + 4096, "bytes sent " + sent);

            // The backup site dies: the VM's writes go on and are tracked.
            server.close();
            for (int b = 100; b < 110; b++) {
                w.clear();
                src.write(b, w);
            }
            assertEquals(BLOCKS - 10, s.stats().blocksCached());
            Thread.sleep(200);
            // It comes back on the same port: sending resumes.
            server = NbdServer.start("127.0.0.1", port, 8, 5000);
            server.addExport(new DeviceExport("backup", "", backup, backupBits, true));
            await(() -> s.stats().blocksCached() == BLOCKS, "resume after the backup site came back");
            assertArrayEquals(content(src), content(backup));
            s.close();

            // A restart resumes from the bitmap: nothing is sent again.
            PrecacheSession again = new AllPrecacher().start(src, new Endpoint("127.0.0.1", port), options(bitmap,
                    Map.of()));
            assertEquals(BLOCKS, again.stats().blocksCached());
            Thread.sleep(300);
            assertEquals(0, again.stats().bytesSent());
            again.close();
            server.close();
            backupBits.close();
        }
    }

    @Test
    void writesDuringCopiesNeverLeaveAStaleBlockMarkedCachedAtTheBackup() throws Exception {
        try (FileBlockDevice src = FileBlockDevice.open(dir.resolve("w.img"), BLOCKS * 4096L, false);
             FileBlockDevice backup = FileBlockDevice.open(dir.resolve("wb.img"), BLOCKS * 4096L, false);
             NbdServer server = NbdServer.start("127.0.0.1", 0, 8, 5000);
             org.vmlab.transport.WanLink wan = org.vmlab.transport.WanLink.start(
                     org.vmlab.transport.LinkModel.of(DataRate.parse("200m"), Duration.ofMillis(20)),
                     new java.net.InetSocketAddress("127.0.0.1", server.port()))) {
            BlockBitmap bits = BlockBitmap.inMemory(BLOCKS);
            server.addExport(new DeviceExport("backup", "", backup, bits, true));
            PrecacheSession s = new AllPrecacher().start(src, new Endpoint("127.0.0.1", wan.port()),
                    options(dir.resolve("w.bitmap"), Map.of()));
            Random rnd = new Random(3);
            ByteBuffer w = ByteBuffer.allocate(4096);
            long end = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < end) { // writes land while copies of the same blocks are in flight
                rnd.nextBytes(w.array());
                w.clear();
                src.write(rnd.nextInt(64) * 16L % BLOCKS, w);
                Thread.sleep(1);
            }
            s.close();
            byte[] a = content(src);
            byte[] b = content(backup);
            long stale = 0;
            for (int blk = 0; blk < BLOCKS; blk++) {
                if (bits.get(blk) && !java.util.Arrays.equals(a, blk * 4096, blk * 4096 + 4096, b, blk * 4096,
                        blk * 4096 + 4096)) {
                    stale++;
                }
            }
            assertEquals(0, stale, "blocks the backup holds as cached but stale");
            assertTrue(bits.cardinality() > 0);
        }
    }

    @Test
    void recencyHoldsBackHotBlocksAndNoneSendsNothing() throws Exception {
        try (FileBlockDevice src = FileBlockDevice.open(dir.resolve("s.img"), BLOCKS * 4096L, false);
             FileBlockDevice backup = FileBlockDevice.open(dir.resolve("b.img"), BLOCKS * 4096L, false);
             NbdServer server = NbdServer.start("127.0.0.1", 0, 8, 5000)) {
            BlockBitmap bits = BlockBitmap.inMemory(BLOCKS);
            server.addExport(new DeviceExport("backup", "", backup, bits, true));
            Endpoint to = new Endpoint("127.0.0.1", server.port());
            PrecacheSession s = new RecencyPrecacher().start(src, to, options(dir.resolve("r.bitmap"),
                    Map.of("quiet", "2s")));
            await(() -> s.stats().blocksCached() == BLOCKS, "the full copy");
            long before = s.stats().bytesSent();
            ByteBuffer w = ByteBuffer.allocate(4096);
            for (int i = 0; i < 20; i++) { // block 3 is hot for a second
                w.clear();
                src.write(3, w);
                Thread.sleep(50);
            }
            assertEquals(BLOCKS - 1, s.stats().blocksCached());
            long during = s.stats().bytesSent() - before;
            assertTrue(during < 4096, "a hot block was re-sent: " + during + " bytes");
            await(() -> s.stats().blocksCached() == BLOCKS, "the quiet block sent");
            s.close();

            PrecacheSession none = new NonePrecacher().start(src, to, options(dir.resolve("n.bitmap"), Map.of()));
            Thread.sleep(200);
            assertEquals(0, none.stats().blocksCached());
            assertEquals(0, none.stats().bytesSent());
            none.close();
            assertThrows(IllegalArgumentException.class, () -> new AllPrecacher().start(src, to,
                    options(dir.resolve("x.bitmap"), Map.of("bogus", "1"))));
        }
        assertThrows(VmlabException.class, () -> {
            try (FileBlockDevice src = FileBlockDevice.open(dir.resolve("t.img"), 4096, false)) {
                new AllPrecacher().start(src, new Endpoint("127.0.0.1", 1), options(dir.resolve("t.bm"), Map.of()));
            }
        });
    }
}
