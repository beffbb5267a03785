package org.vmlab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.IoEvent;
import org.vmlab.api.guest.IoListener;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;

class OtherWorkloadsTest extends EmuTestSupport {

    @Test
    void idleRunsNothingAndSamplesZero() {
        Vm vm = vm("idle", 16 * MiB, 1);
        WorkloadRun run = idle.start(vm, Map.of());
        assertTrue(run.isRunning());
        assertTrue(run.invariant().isEmpty());
        await("a sample", 3000, () -> !run.samples().isEmpty());
        for (ThroughputSample s : run.samples()) {
            assertEquals(0, s.opsPerSecond());
            assertEquals(0, s.bytesPerSecond());
        }
        run.stop();
        assertFalse(run.isRunning());
        assertNoWorkloadThreads();
        WorkloadRun again = idle.resume(vm, Map.of()); // idle keeps no state: resuming is starting
        again.stop();
        assertNoWorkloadThreads();
    }

    @Test
    void webWarmsThePageCacheAndRequestsHit() {
        Vm vm = vmWithDisk("web", 256 * MiB, 2, 48 * MiB);
        GuestOs os = vm.guestOs().orElseThrow();
        WebRun run = (WebRun) web.start(vm, Map.of("files", "32M", "warm", "true", "rate", "2000"));
        await("warm-up", 20_000, run::warmed);
        assertEquals(1.0, run.warmProgress());
        assertTrue(run.warmupMillis() >= 0);
        long dataBlocks = 32 * MiB / 4096;
        assertTrue(os.cachedPages() >= dataBlocks, "cached " + os.cachedPages() + " of " + dataBlocks);
        assertTrue(os.cleanPageCache().size() >= dataBlocks);
        AtomicLong hits = new AtomicLong();
        AtomicLong misses = new AtomicLong();
        IoListener l = e -> {
            if (e.kind() == IoEvent.Kind.READ_HIT) {
                hits.incrementAndGet();
            } else if (e.kind() == IoEvent.Kind.READ_MISS) {
                misses.incrementAndGet();
            }
        };
        os.addIoListener(l);
        long r0 = run.requests();
        sleep(500);
        os.removeIoListener(l);
        assertTrue(run.requests() - r0 > 300, "requests at 2000/s: " + (run.requests() - r0));
        assertTrue(hits.get() > 300 * 16, "hits " + hits);
        assertEquals(0, misses.get(), "a warm page cache has no misses");
        await("a sample with requests", 3000, () -> run.latest().opsPerSecond() > 0);
        assertEquals(0, os.dirtyCachedPages(), "a web server only reads");
        run.stop();
        assertNoWorkloadThreads();
        // resumed: warm-up is not repeated and the request count continues
        long served = run.requests();
        WebRun again = (WebRun) web.resume(vm, Map.of());
        assertTrue(again.warmed());
        await("more requests", 3000, () -> again.requests() > served + 100);
        again.stop();
        assertNoWorkloadThreads();
    }

    @Test
    void serversHaveRealDataTheirOwnMemoryAndResponseTimes() {
        Vm vm = vmWithDisk("servers", 128 * MiB, 2, 16 * MiB);
        GuestOs os = vm.guestOs().orElseThrow();
        WebRun run = (WebRun) web.start(vm, Map.of("files", "8M", "tasks", "6", "private", "256K",
                "rate", "600", "content", "html"));
        await("requests with response times", 8000, () -> run.samples().size() >= 3);
        ThroughputSample last = run.latest();
        assertTrue(last.hasLatency(), "response times measured: " + last);
        assertTrue(last.latencyP50Micros() > 0 && last.latencyP99Micros() >= last.latencyP50Micros(), last.toString());
        assertTrue(last.opsPerSecond() > 400 && last.opsPerSecond() < 800, "open loop at 600/s: " + last);
        // The data set is text, not zeros, and each server's memory holds data.
        java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(4096);
        os.read(1000, block);
        assertTrue(new String(block.array(), 24, 4072, java.nio.charset.StandardCharsets.US_ASCII).matches("(?s).*[a-z]{2,}.*"),
                "html-like text in block 1000");
        org.vmlab.api.guest.FrameRange region = run.guestState().region();
        assertEquals(1 + 6 * 64, region.count(), "a header page and 256 KiB for each of 6 servers");
        for (long pfn = region.first() + 1; pfn < region.first() + region.count(); pfn += 37) {
            assertFalse(vm.memory().isZero(pfn), "server memory page " + pfn + " holds data");
        }
        run.stop();
        // A new run over the same disk finds the data set there and does not write it again: a
        // mark made on the disk since survives.
        run.discard();
        org.vmlab.api.storage.BlockDevice disk = vm.disk().orElseThrow();
        java.nio.ByteBuffer marked = java.nio.ByteBuffer.allocate(4096);
        disk.read(1500, marked);
        marked.put(100, (byte) '#').clear();
        disk.write(1500, marked);
        WebRun again = (WebRun) web.start(vm, Map.of("files", "8M", "content", "html"));
        java.nio.ByteBuffer read = java.nio.ByteBuffer.allocate(4096);
        disk.read(1500, read);
        assertEquals('#', read.get(100), "the data set was reused, not written again");
        again.stop();
        assertNoWorkloadThreads();
    }

    @Test
    void theDefaultDataSetIsIncompressibleAndNeverZero() {
        java.nio.ByteBuffer a = java.nio.ByteBuffer.allocate(4096);
        DataSet.fill(a, 7, DataSet.RANDOM, 42);
        java.util.zip.Deflater d = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_SPEED);
        d.setInput(a.array());
        d.finish();
        byte[] out = new byte[8192];
        int n = d.deflate(out);
        assertTrue(n > 4000, "random content does not compress: " + n);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096);
        DataSet.fill(b, 7, DataSet.RANDOM, 42);
        assertEquals(a, b.flip().position(0).limit(4096), "the same block, seed and kind give the same bytes");
    }

    @Test
    void webZipfWithoutWarmupLoadsBlocksOnDemand() {
        Vm vm = vmWithDisk("webz", 128 * MiB, 1, 16 * MiB);
        GuestOs os = vm.guestOs().orElseThrow();
        WebRun run = (WebRun) web.start(vm, Map.of("files", "16M", "popularity", "zipf", "file-size", "16K"));
        assertFalse(run.warmed());
        await("requests", 5000, () -> run.requests() > 2000);
        assertTrue(os.cachedPages() > 0);
        assertTrue(os.cachedPages() < 16 * MiB / 4096, "zipf touches part of the data set: " + os.cachedPages());
        run.stop();
        assertNoWorkloadThreads();
    }

    @Test
    void databaseDirtiesPageCacheAndWriteBackCleansIt() {
        Vm vm = vmWithDisk("db", 128 * MiB, 2, 32 * MiB);
        GuestOs os = vm.guestOs().orElseThrow();
        DatabaseRun run = (DatabaseRun) database.start(vm, Map.of("table-size", "16M", "rate", "2000",
                "writeback-interval", "0", "buffer", "4M"));
        await("dirty cached pages", 5000, () -> os.dirtyCachedPages() > 100);
        await("transactions", 5000, () -> run.transactions() > 500);
        assertEquals(0, run.writebacks());
        run.stop();
        vm.pause();
        InvariantResult r = run.invariant().orElseThrow().check(vm.memory());
        assertTrue(r.holds(), r.detail());
        vm.resume();
        long dirty = os.dirtyCachedPages();
        long tx = run.transactions();
        assertTrue(dirty > 100);

        // resume with a write-back every 200 ms and a trickle of transactions: dirty pages drain
        DatabaseRun again = (DatabaseRun) database.resume(vm, Map.of("writeback-interval", "200ms", "rate", "5"));
        await("a write-back", 3000, () -> again.writebacks() >= 2);
        assertTrue(os.dirtyCachedPages() < 5 * 8 * 2, "after write-back " + os.dirtyCachedPages() + " of " + dirty);
        await("more transactions", 3000, () -> again.transactions() > tx);
        assertTrue(again.blockWrites() > 0);
        vm.pause();
        InvariantResult r2 = again.invariant().orElseThrow().check(vm.memory());
        assertTrue(r2.holds(), r2.detail());
        assertTrue(r2.steps() > r.steps());
        vm.resume();
        again.stop();
        assertTrue(again.failure().isEmpty(), "no corrupt block read: " + again.failure());
        assertNoWorkloadThreads();
    }

    @Test
    void mpiSingleRankComputes() {
        Vm vm = vm("mpi1", 64 * MiB, 1);
        MpiRun run = (MpiRun) mpi.start(vm, Map.of("compute-ms", "2"));
        await("iterations", 3000, () -> run.iterations() > 50);
        await("a sample", 3000, () -> run.latest().opsPerSecond() > 0);
        run.stop();
        assertNoWorkloadThreads();
    }

    @Test
    void mpiTwoRanksExchangeMessagesWithBarrier() throws IOException {
        int p0 = freePort();
        int p1 = freePort();
        Vm a = vm("mpi-a", 64 * MiB, 1);
        Vm b = vm("mpi-b", 64 * MiB, 1);
        Map<String, String> common = Map.of("compute-ms", "3", "message-size", "256K");
        MpiRun r0 = (MpiRun) mpi.start(a, with(common, "rank", "0", "listen", "" + p0, "peers", "127.0.0.1:" + p1));
        sleep(200); // rank 1 is not there yet: rank 0 retries
        assertEquals(0, r0.iterations(), "no iteration without the peer");
        MpiRun r1 = (MpiRun) mpi.start(b, with(common, "rank", "1", "listen", "" + p1, "peers", "127.0.0.1:" + p0));
        await("30 iterations on both ranks", 10_000, () -> r0.iterations() >= 30 && r1.iterations() >= 30);
        for (int i = 0; i < 20; i++) {
            long i0 = r0.iterations();
            long i1 = r1.iterations();
            long j0 = r0.iterations();
            assertTrue(Math.abs(i1 - i0) <= 1 || Math.abs(i1 - j0) <= 1, "barrier: " + i0 + " vs " + i1);
            sleep(7);
        }
        assertTrue(r0.totalBytes() > 30L * 2 * 256 * 1024, "bytes " + r0.totalBytes());
        assertEquals(1, r0.peersHeard());

        // rank 1 stops and resumes from its guest memory; rank 0 reconnects and both go on
        r1.stop();
        long stoppedAt = r1.iterations();
        sleep(100);
        MpiRun r1b = (MpiRun) mpi.resume(b, Map.of());
        assertTrue(r1b.iterations() >= stoppedAt);
        long base = r0.iterations();
        await("iterations after resume", 10_000, () -> r0.iterations() > base + 10 && r1b.iterations() > stoppedAt + 10);
        r0.stop();
        r1b.stop();
        assertTrue(r0.failure().isEmpty() && r1b.failure().isEmpty());
        assertNoWorkloadThreads();
    }

    @Test
    void mpiRankMovesToAnotherVmLikeAMigration() throws IOException {
        int p0 = freePort();
        int p1 = freePort();
        Vm a = vm("mig-a", 32 * MiB, 1);
        Vm b = vm("mig-b", 32 * MiB, 1);
        Map<String, String> common = Map.of("compute-ms", "2", "message-size", "32K", "memory", "4M");
        MpiRun r0 = (MpiRun) mpi.start(a, with(common, "rank", "0", "listen", "" + p0, "peers", "127.0.0.1:" + p1));
        MpiRun r1 = (MpiRun) mpi.start(b, with(common, "rank", "1", "listen", "" + p1, "peers", "127.0.0.1:" + p0));
        await("20 iterations", 10_000, () -> r0.iterations() >= 20 && r1.iterations() >= 20);

        // switchover: pause the source, copy its memory to the destination, resume the rank there
        // while the paused source still holds its port and connections
        b.pause();
        long at = r1.iterations();
        Vm dest = vm("mig-dest", 32 * MiB, 1);
        java.nio.ByteBuffer all = java.nio.ByteBuffer.allocate((int) b.memory().sizeBytes());
        b.memory().read(0, (int) b.memory().pageCount(), all);
        all.flip();
        dest.memory().write(0, (int) dest.memory().pageCount(), all);
        MpiRun moved = (MpiRun) mpi.resume(dest, Map.of());
        assertEquals(at, moved.iterations());
        sleep(100);
        b.destroy(); // the source goes away: its run notices, closing its port and connections
        assertFalse(r1.isRunning());
        await("the source run to let go of its sockets", 3000, () -> r1.isStopped());
        await("iterations after the move", 10_000,
                () -> r0.iterations() > at + 20 && moved.iterations() > at + 20);
        r0.stop();
        moved.stop();
        assertTrue(r0.failure().isEmpty() && moved.failure().isEmpty());
        assertNoWorkloadThreads();
    }

    private static Map<String, String> with(Map<String, String> base, String... kv) {
        Map<String, String> m = new java.util.HashMap<>(base);
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
