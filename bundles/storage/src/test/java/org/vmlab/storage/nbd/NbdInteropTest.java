package org.vmlab.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.storage.block.FileBlockDevice;

/** The server against real clients from Debian: qemu-img, qemu-io, nbdinfo, nbdcopy. */
class NbdInteropTest {
    private static final int SIZE = 8 << 20;

    @TempDir
    Path dir;
    private NbdServer server;
    private FileBlockDevice disk;
    private byte[] content;

    @BeforeEach
    void start() throws Exception {
        content = new byte[SIZE];
        new Random(7).nextBytes(content);
        java.util.Arrays.fill(content, 4 << 20, 5 << 20, (byte) 0); // one MiB of zeros for the map
        Path img = dir.resolve("disk.img");
        Files.write(img, content);
        disk = FileBlockDevice.open(img, 0, false);
        server = NbdServer.start("127.0.0.1", 0, 16, 10_000);
        server.addExport(new DeviceExport("disk", "test disk", disk, null));
    }

    @AfterEach
    void stop() {
        server.close();
        disk.close();
    }

    private String uri() {
        return "nbd://127.0.0.1:" + server.port() + "/disk";
    }

    @Test
    void nbdinfoSeesFixedNewstyleStructuredRepliesAndContexts() throws Exception {
        assumeTrue(ExternalTools.has("nbdinfo"), "nbdinfo (libnbd-bin) not installed");
        ExternalTools.Run r = ExternalTools.run("nbdinfo", uri());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("newstyle-fixed"), r.output());
        assertTrue(r.output().contains("structured"), r.output());
        assertTrue(r.output().contains("base:allocation"), r.output());
        assertTrue(r.output().contains("vmlab:cached"), r.output());
        assertTrue(r.output().contains("size: " + SIZE), r.output());
        assertEquals(0, ExternalTools.run("nbdinfo", "--can", "fua", uri()).exit());
        assertEquals(0, ExternalTools.run("nbdinfo", "--can", "trim", uri()).exit());
        assertEquals(0, ExternalTools.run("nbdinfo", "--can", "zero", uri()).exit());
        ExternalTools.Run list = ExternalTools.run("nbdinfo", "--list", "nbd://127.0.0.1:" + server.port());
        assertEquals(0, list.exit(), list.output());
        assertTrue(list.output().contains("export=\"disk\""), list.output());
    }

    @Test
    void nbdinfoMapShowsTheZeroMegabyteAndTheCacheBitmap() throws Exception {
        assumeTrue(ExternalTools.has("nbdinfo"), "nbdinfo (libnbd-bin) not installed");
        ExternalTools.Run r = ExternalTools.run("nbdinfo", "--map", uri());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().matches("(?s).*4194304\\s+1048576\\s+2\\s+zero.*"), r.output());
        ExternalTools.Run c = ExternalTools.run("nbdinfo", "--map=vmlab:cached", uri());
        assertEquals(0, c.exit(), c.output());
        assertTrue(c.output().matches("(?s)\\s*0\\s+" + SIZE + "\\s+1.*"), c.output());
    }

    @Test
    void qemuImgInfoCompareAndConvert() throws Exception {
        assumeTrue(ExternalTools.has("qemu-img"), "qemu-img (qemu-utils) not installed");
        ExternalTools.Run info = ExternalTools.run("qemu-img", "info", "-f", "raw", uri());
        assertEquals(0, info.exit(), info.output());
        assertTrue(info.output().contains("virtual size: 8 MiB"), info.output());
        Path copy = dir.resolve("copy.img");
        ExternalTools.Run conv = ExternalTools.run("qemu-img", "convert", "-f", "raw", "-O", "raw", uri(),
                copy.toString());
        assertEquals(0, conv.exit(), conv.output());
        assertArrayEquals(content, Files.readAllBytes(copy));
        ExternalTools.Run cmp = ExternalTools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", uri(),
                copy.toString());
        assertEquals(0, cmp.exit(), cmp.output());
        // Convert into the export: the target's content is replaced.
        byte[] other = new byte[SIZE];
        new Random(9).nextBytes(other);
        Path src = dir.resolve("other.img");
        Files.write(src, other);
        ExternalTools.Run in = ExternalTools.run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw",
                src.toString(), uri());
        assertEquals(0, in.exit(), in.output());
        assertEquals(0, ExternalTools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", uri(), src.toString())
                .exit());
    }

    @Test
    void qemuIoFuaWriteIsDurableAndReadsBack() throws Exception {
        assumeTrue(ExternalTools.has("qemu-io"), "qemu-io (qemu-utils) not installed");
        ExternalTools.Run w = ExternalTools.run("qemu-io", "-f", "raw", "-c", "write -f -P 0xab 12288 4k", uri());
        assertEquals(0, w.exit(), w.output());
        assertTrue(w.output().contains("wrote 4096/4096"), w.output());
        ExternalTools.Run r = ExternalTools.run("qemu-io", "-f", "raw", "-c", "read -P 0xab 12288 4k", uri());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("read 4096/4096"), r.output());
        ByteBuffer b = ByteBuffer.allocate(4096);
        disk.read(3, b);
        for (byte x : b.array()) {
            assertEquals((byte) 0xab, x);
        }
        ExternalTools.Run z = ExternalTools.run("qemu-io", "-f", "raw", "-c", "write -z 0 64k", "-c",
                "read -P 0 0 64k", "-c", "write -P 0x11 100 300", "-c", "read -P 0x11 100 300", uri());
        assertEquals(0, z.exit(), z.output());
        assertTrue(!z.output().contains("Pattern verification failed"), z.output());
    }

    @Test
    void nbdcopyBothWays() throws Exception {
        assumeTrue(ExternalTools.has("nbdcopy"), "nbdcopy (libnbd-bin) not installed");
        Path out = dir.resolve("out.img");
        ExternalTools.Run r = ExternalTools.run("nbdcopy", uri(), out.toString());
        assertEquals(0, r.exit(), r.output());
        assertArrayEquals(content, Files.readAllBytes(out));
        byte[] other = new byte[SIZE];
        new Random(11).nextBytes(other);
        Path src = dir.resolve("src.img");
        Files.write(src, other);
        ExternalTools.Run w = ExternalTools.run("nbdcopy", src.toString(), uri());
        assertEquals(0, w.exit(), w.output());
        byte[] now = new byte[SIZE];
        disk.readAt(0, ByteBuffer.wrap(now));
        assertArrayEquals(other, now);
    }
}
