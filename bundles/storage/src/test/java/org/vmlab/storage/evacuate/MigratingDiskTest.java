package org.vmlab.storage.evacuate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.nbd.DeviceExport;
import org.vmlab.storage.nbd.NbdClient;
import org.vmlab.storage.nbd.NbdServer;

/** A migrated VM's disk: the first access fetches on demand, writes here are newer than the source's. */
@Timeout(30)
class MigratingDiskTest {
    private static final int BLOCKS = 1024;

    @TempDir
    Path dir;

    @Test
    void firstReadFetchesOnDemandWritesHereDoNotFailVerificationAndTheFillCompletes() throws Exception {
        byte[] content = new byte[BLOCKS * 4096];
        new Random(9).nextBytes(content);
        Path src = dir.resolve("src.img");
        Files.write(src, content);
        try (NbdServer server = NbdServer.start("127.0.0.1", 0, 8, 5000);
             FileBlockDevice served = FileBlockDevice.open(src, 0, true)) {
            server.addExport(new DeviceExport("disk", "test", served, null));
            EvacuationPlan plan = new EvacuationPlan(new Endpoint("127.0.0.1", server.port()), "disk",
                    dir.resolve("dst.img"), dir.resolve("dst.bitmap"), "vm", 8, 2, true, Map.of());
            FileBlockDevice local = FileBlockDevice.open(plan.image(), content.length, false);
            MigratingDisk disk = new MigratingDisk("vm", plan, local, BlockBitmap.inMemory(BLOCKS),
                    NbdClient.connectAll("127.0.0.1", server.port(), "disk", 2, 16, 5000));
            try {
                ByteBuffer b = ByteBuffer.allocate(4096);
                disk.read(500, b); // the first access: fetched on demand, the fill starts
                assertArrayEquals(Arrays.copyOfRange(content, 500 * 4096, 501 * 4096), b.array());
                byte[] mine = new byte[4096];
                Arrays.fill(mine, (byte) 7);
                disk.write(3, ByteBuffer.wrap(mine)); // newer than the source's block 3
                EvacuationReport r = disk.result().get(20, TimeUnit.SECONDS);
                assertTrue(r.completed(), r.status());
                assertEquals(Boolean.TRUE, r.verified(), "blocks written here are not held against the disk");
                assertTrue(r.blocksOnDemand() >= 1, "on demand: " + r.blocksOnDemand());
                assertEquals(0, r.blocksMissing());
                assertEquals(1, disk.blocksWrittenHere());
                ByteBuffer three = ByteBuffer.allocate(4096);
                disk.read(3, three);
                assertArrayEquals(mine, three.array());
                System.arraycopy(mine, 0, content, 3 * 4096, 4096);
                assertArrayEquals(content, Files.readAllBytes(plan.image()), "the image holds the whole disk");
            } finally {
                disk.close();
            }
        }
    }
}
