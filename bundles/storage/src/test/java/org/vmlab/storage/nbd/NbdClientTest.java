package org.vmlab.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.nbd.NbdMessages.Extent;

/** vmlab's own client against vmlab's server: pipelining, every command, both contexts, read-only. */
class NbdClientTest {
    @TempDir
    Path dir;

    @Test
    void pipelinedReadsAndWritesEveryCommandAndBothContexts() throws Exception {
        try (FileBlockDevice disk = FileBlockDevice.open(dir.resolve("a.img"), 4 << 20, false);
             NbdServer server = NbdServer.start("127.0.0.1", 0, 8, 5000)) {
            BlockBitmap cached = BlockBitmap.inMemory(disk.blockCount());
            cached.setRange(0, 16);
            server.addExport(new DeviceExport("a", "", disk, cached));
            try (NbdClient c = NbdClient.connect("127.0.0.1", server.port(), "a",
                    List.of(Nbd.BASE_ALLOCATION, Nbd.VMLAB_CACHED), 32, 5000)) {
                assertEquals(4 << 20, c.size());
                assertTrue(c.structured());
                assertEquals(2, c.contexts().size());
                Random rnd = new Random(1);
                byte[] all = new byte[4 << 20];
                rnd.nextBytes(all);
                List<CompletableFuture<Void>> inFlight = new ArrayList<>();
                for (int off = 0; off < all.length; off += 65536) {
                    inFlight.add(c.writeAsync(off, ByteBuffer.wrap(all, off, 65536), false));
                }
                for (CompletableFuture<Void> f : inFlight) {
                    NbdClient.await(f);
                }
                c.flush();
                byte[] back = new byte[all.length];
                inFlight.clear();
                for (int off = 0; off < all.length; off += 65536) {
                    inFlight.add(c.readAsync(off, ByteBuffer.wrap(back, off, 65536)));
                }
                for (CompletableFuture<Void> f : inFlight) {
                    NbdClient.await(f);
                }
                assertArrayEquals(all, back);
                c.writeZeroes(8192, 8192, true);
                c.trim(0, 4096);
                List<Extent> alloc = c.blockStatus(Nbd.BASE_ALLOCATION, 0, 16384);
                assertEquals(new Extent(8192, 0), alloc.get(0));
                assertEquals(new Extent(8192, Nbd.STATE_ZERO), alloc.get(1));
                List<Extent> cache = c.blockStatus(Nbd.VMLAB_CACHED, 0, 1 << 20);
                assertEquals(new Extent(16 * 4096, Nbd.STATE_CACHED), cache.get(0));
                assertEquals(new Extent((1 << 20) - 16 * 4096, 0), cache.get(1));
                NbdException e = assertThrows(NbdException.class, () -> c.read(4 << 20, ByteBuffer.allocate(1)));
                assertEquals(Nbd.EINVAL, e.error());
                // the connection survives the error
                c.read(0, ByteBuffer.allocate(10));
            }
        }
    }

    @Test
    void readOnlyExportRefusesWritesWithEperm() throws Exception {
        FileBlockDevice rw = FileBlockDevice.open(dir.resolve("r.img"), 1 << 20, false);
        rw.close();
        try (FileBlockDevice disk = FileBlockDevice.open(dir.resolve("r.img"), 0, true);
             NbdServer server = NbdServer.start("127.0.0.1", 0, 8, 5000)) {
            server.addExport(new DeviceExport("r", "", disk, null));
            try (NbdClient c = NbdClient.connect("127.0.0.1", server.port(), "r", List.of(), 4, 5000)) {
                assertTrue(c.isReadOnly());
                NbdException e = assertThrows(NbdException.class,
                        () -> c.write(0, ByteBuffer.allocate(4096), false));
                assertEquals(Nbd.EPERM, e.error());
            }
            NbdException unknown = assertThrows(NbdException.class,
                    () -> NbdClient.connect("127.0.0.1", server.port(), "missing", List.of(), 4, 5000));
            assertTrue(unknown.getMessage().contains("missing"), unknown.getMessage());
        }
    }
}
