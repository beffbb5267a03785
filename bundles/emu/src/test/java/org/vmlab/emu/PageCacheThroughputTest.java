package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.vm.VmSpec;

/** Prints page-cache and memory throughput (no timing assertions; speed targets live in bench/). */
class PageCacheThroughputTest {
    @TempDir
    Path dir;

    @Test
    void fourThreadsOfMixedIo() throws Exception {
        try (EmuBackend backend = new EmuBackend(EmuSettings.forTests(dir))) {
            EmuVm vm = (EmuVm) backend.create(VmSpec.of("bench", "emu", 256L << 20)
                    .withDisk(dir.resolve("d.img"), 512L << 20));
            EmuGuestOs os = vm.emuGuestOs();
            int threads = 4;
            int ops = 50_000;
            List<Thread> ts = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts.add(new Thread(() -> {
                    Random r = new Random(id);
                    ByteBuffer b = ByteBuffer.allocateDirect(4096);
                    for (int i = 0; i < ops; i++) {
                        b.clear();
                        long block = (long) (Math.abs(r.nextGaussian()) * 20_000) % os.diskBlocks();
                        if (r.nextInt(10) == 0) {
                            os.write(block, b);
                        } else {
                            os.read(block, b);
                        }
                    }
                }));
            }
            ts.forEach(Thread::start);
            for (Thread t : ts) {
                t.join();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("emu page cache: %d threads, %.0f ops/s, %d cached, %d B metadata%n",
                    threads, threads * ops / secs, os.cachedPages(), os.metadataBytes());
            EmuGuestMemory mem = vm.memory();
            long words = mem.sizeBytes() / 8;
            for (int pass = 0; pass < 3; pass++) { // pass 0 faults the pages in
                if (pass == 2) {
                    mem.dirtyLog().start();
                }
                long w0 = System.nanoTime();
                for (long i = 0; i < 4_000_000; i++) {
                    mem.putLong(((i * 4099) % words) * 8, i);
                }
                double ns = (System.nanoTime() - w0) / 4e6;
                System.out.printf("emu putLong (pass %d, dirty log %s): %.1f ns each%n", pass,
                        mem.dirtyLog().isLogging() ? "on" : "off", ns);
            }
            assertEquals(mem.pageCount(), mem.dirtyLog().sync().size());
        }
    }
}
