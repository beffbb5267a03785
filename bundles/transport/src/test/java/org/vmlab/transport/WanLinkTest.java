package org.vmlab.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.vmlab.api.DataRate;

/** The WAN relay delays, paces and keeps order; a reply costs a full round trip. */
class WanLinkTest {

    /** An echo server on a free loopback port, in a daemon thread; closed with the returned socket. */
    private static ServerSocket echo() throws Exception {
        ServerSocket ss = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket s = ss.accept();
                    Thread h = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (Exception ignored) {
                            // client gone
                        }
                    });
                    h.setDaemon(true);
                    h.start();
                } catch (Exception e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return ss;
    }

    @Test
    void aRoundTripTakesTheRttAndBulkTakesTheRate() throws Exception {
        try (ServerSocket ss = echo();
             WanLink link = WanLink.start(LinkModel.of(DataRate.parse("100m"), Duration.ofMillis(100)),
                     new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort()));
             Socket c = new Socket(InetAddress.getLoopbackAddress(), link.port())) {
            c.setTcpNoDelay(true);
            c.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(c.getInputStream());
            long t0 = System.nanoTime();
            c.getOutputStream().write(1);
            assertEquals(1, in.read());
            long rttMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(rttMs >= 100 && rttMs < 400, "round trip " + rttMs + " ms over a 100 ms RTT link");

            byte[] data = new byte[2_500_000]; // 20 Mbit: 0.2 s each way at 100 Mbit/s
            new Random(3).nextBytes(data);
            byte[] back = new byte[data.length];
            Thread reader = new Thread(() -> {
                try {
                    in.readFully(back);
                } catch (Exception ignored) {
                    // checked below
                }
            });
            t0 = System.nanoTime();
            reader.start();
            c.getOutputStream().write(data);
            reader.join(20_000);
            double s = (System.nanoTime() - t0) / 1e9;
            assertArrayEquals(data, back, "in order, no byte lost");
            assertTrue(s >= 0.2 + 0.1 * 0.9, "2.5 MB echoed in " + s + " s: faster than the rate allows");
            assertTrue(s < 3, "2.5 MB echoed in " + s + " s");
        }
    }

    @Test
    void lossDelaysButDeliversEverythingInOrder() throws Exception {
        LinkModel lossy = new LinkModel(DataRate.UNLIMITED, Duration.ofMillis(10), Duration.ofMillis(5), 0.2,
                LinkModel.DEFAULT_WINDOW);
        try (ServerSocket ss = echo();
             WanLink link = WanLink.start(lossy, new InetSocketAddress(InetAddress.getLoopbackAddress(),
                     ss.getLocalPort()));
             Socket c = new Socket(InetAddress.getLoopbackAddress(), link.port())) {
            c.setSoTimeout(20_000);
            DataInputStream in = new DataInputStream(c.getInputStream());
            byte[] data = new byte[1 << 20];
            new Random(4).nextBytes(data);
            byte[] back = new byte[data.length];
            for (int off = 0; off < data.length; off += 65536) {
                c.getOutputStream().write(data, off, 65536);
                in.readFully(back, off, 65536);
            }
            assertArrayEquals(data, back);
            assertEquals(2L * data.length, link.bytesRelayed());
        }
    }
}
