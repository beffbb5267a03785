package org.vmlab.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;

/**
 * The cost of a guest word store with precise dirty logging on, against the same store with
 * logging off, on a 1 GiB emu guest. Offsets are random over the whole guest, so the bitmap and
 * the page are both cold in cache, as for a real workload's scattered writes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DirtyLogBench {

    @Param({"false", "true"})
    public boolean logging;

    private Path dir;
    private EmuBackend backend;
    private GuestMemory memory;
    private long[] offsets;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("vmlab-bench");
        backend = new EmuBackend(EmuSettings.forTests(dir));
        Vm vm = backend.create(VmSpec.of("bench", "emu", 1L << 30));
        memory = vm.memory();
        SplittableRandom random = new SplittableRandom(42);
        offsets = new long[1 << 20];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = random.nextLong(memory.sizeBytes() / 8) * 8;
        }
        if (logging) {
            memory.dirtyLog().start();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        backend.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * One store; with logging, every 65,536th store also syncs the log (as a migration round
     * does), so the cost of clearing and re-setting bits is in the figure, not only the
     * already-dirty fast path.
     */
    @Benchmark
    public void store() {
        int i = next;
        next = (i + 1) & (offsets.length - 1);
        memory.putLong(offsets[i], i);
        if (logging && (i & 0xFFFF) == 0) {
            memory.dirtyLog().sync();
        }
    }
}
