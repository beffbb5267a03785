package org.vmlab.pagecache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.pagecache.SanModel;
import org.vmlab.api.pagecache.SanSession;

@Timeout(60)
class SanServerTest {
    @TempDir
    static Path dir;
    static Path image;
    static SanServer san;

    @BeforeAll
    static void setUp() throws IOException {
        image = dir.resolve("disk.img");
        byte[] data = new byte[4096 * Pages.SIZE];
        for (int b = 0; b < 4096; b++) {
            ByteBuffer.wrap(data, b * Pages.SIZE, 8).putLong(b * 31L + 7);
        }
        Files.write(image, data);
        san = new SanServer("127.0.0.1", 0);
    }

    @AfterAll
    static void tearDown() {
        san.close();
    }

    static long[] range(long first, int n, long stride) {
        long[] b = new long[n];
        for (int i = 0; i < n; i++) {
            b[i] = first + i * stride;
        }
        return b;
    }

    @Test
    void readsTheBlocksAskedInOrder() {
        try (SanSession s = san.open(image, SanModel.of(DataRate.UNLIMITED))) {
            long[] blocks = {5, 6, 7, 100, 3, 4095};
            ByteBuffer dst = ByteBuffer.allocate(blocks.length * Pages.SIZE);
            s.read(blocks, 0, blocks.length, dst);
            for (int i = 0; i < blocks.length; i++) {
                assertEquals(blocks[i] * 31 + 7, dst.getLong(i * Pages.SIZE));
            }
            assertEquals(blocks.length * (long) Pages.SIZE, s.bytesRead());
            assertEquals(4, s.requests(), "5-7 coalesced, the others one each");
        }
    }

    @Test
    void scatteredBlocksCostARequestEachAndAdjacentOnesFew() {
        SanModel model = new SanModel(DataRate.UNLIMITED, Duration.ofMillis(5), 4, 64);
        try (SanSession s = san.open(image, model)) {
            ByteBuffer dst = ByteBuffer.allocate(64 * Pages.SIZE);
            s.read(range(0, 64, 1), 0, 64, dst.clear()); // warm-up: connection and JIT out of the timing
            long t0 = System.nanoTime();
            s.read(range(0, 64, 1), 0, 64, dst.clear());
            long sequential = System.nanoTime() - t0;
            assertEquals(2, s.requests(), "64 adjacent blocks are one request (each read)");
            t0 = System.nanoTime();
            s.read(range(0, 64, 37), 0, 64, dst.clear());
            long scattered = System.nanoTime() - t0;
            // 64 requests at 5 ms, 4 at once: at least 16 x 5 ms
            assertTrue(scattered >= 80_000_000L, "scattered took " + scattered / 1e6 + " ms");
            // loose: one 5 ms request against sixteen rounds of them, on a machine that may be busy
            assertTrue(sequential < scattered / 2, "sequential " + sequential / 1e6 + " ms, scattered " + scattered / 1e6);
            assertEquals(66, s.requests());
        }
    }

    @Test
    void theRateLimitHolds() {
        // 80 Mbit/s = 10 MB/s; 8 MiB then takes at least ~0.8 s less the 256 KiB burst
        try (SanSession s = san.open(image, SanModel.of(DataRate.parse("80m")))) {
            ByteBuffer dst = ByteBuffer.allocate(2048 * Pages.SIZE);
            long t0 = System.nanoTime();
            s.read(range(0, 2048, 1), 0, 2048, dst);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds >= 0.7 && seconds < 3, "8 MiB at 80 Mbit/s in " + seconds + " s");
        }
    }

    @Test
    void aConnectionWithoutAValidTokenIsRefused() throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), san.port())) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            new SanWire.Hello(new byte[SanWire.TOKEN_BYTES]).write(out);
            try {
                new SanWire.Read(0, 1).write(out);
            } catch (IOException closedAlready) {
                return; // refused before the request got there
            }
            int first;
            try {
                first = new DataInputStream(s.getInputStream()).read();
            } catch (IOException reset) {
                first = -1;
            }
            assertEquals(-1, first, "closed without data");
        }
    }

    @Test
    void aBlockOutsideTheImageFailsWithOneSentence() {
        try (SanSession s = san.open(image, SanModel.of(DataRate.UNLIMITED))) {
            VmlabException e = assertThrows(VmlabException.class,
                    () -> s.read(new long[] {5000}, 0, 1, ByteBuffer.allocate(Pages.SIZE)));
            assertTrue(e.getMessage().contains("beyond the image"), e.getMessage());
        }
        assertThrows(VmlabException.class, () -> san.open(dir.resolve("none.img"), SanModel.of(DataRate.UNLIMITED)));
    }
}
