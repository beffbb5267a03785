package org.vmlab.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The page hash (XXH64 of 4 KiB, seed 0) over a 256 MiB file mapped from /dev/shm, as the qemu
 * backend hashes guest RAM: lz4-java's native XXH64 (what the backends use) against its Java one.
 * Run: {@code java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.openjdk.jmh.Main PageHashBench}
 * after {@code bench/transport.sh} built the module.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PageHashBench {
    static final int PAGES = 65_536;

    @Param({"native", "java"})
    public String impl;

    private ByteBuffer memory;
    private XXHash64 xxh64;
    private int next;

    @Setup
    public void setUp() throws Exception {
        Path file = Files.createTempFile(Path.of("/dev/shm"), "vmlab-pagehash", ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            memory = ch.map(FileChannel.MapMode.READ_WRITE, 0, (long) PAGES << 12).order(ByteOrder.LITTLE_ENDIAN);
        } finally {
            Files.delete(file); // the mapping stays valid
        }
        byte[] page = new byte[4096];
        Random r = new Random(1);
        for (int i = 0; i < PAGES; i++) {
            r.nextBytes(page);
            memory.put(i << 12, page);
        }
        xxh64 = ("native".equals(impl) ? XXHashFactory.nativeInstance() : XXHashFactory.fastestJavaInstance()).hash64();
    }

    /** One page per call, the next one each time. */
    @Benchmark
    public long onePage() {
        int i = next;
        next = (i + 1) & (PAGES - 1);
        return xxh64.hash(memory, i << 12, 4096, 0);
    }

    /** Every page in one loop, as a dirty-log sync does; the score is per page. */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long everyPage() {
        long sum = 0;
        for (int i = 0; i < PAGES; i++) {
            sum += xxh64.hash(memory, i << 12, 4096, 0);
        }
        return sum;
    }
}
