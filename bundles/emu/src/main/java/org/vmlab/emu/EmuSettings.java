package org.vmlab.emu;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an {@link EmuBackend} keeps its files and how much guest memory it may hand out.
 *
 * @param memoryDir           folder of the guest memory files (best on a tmpfs like /dev/shm)
 * @param stateDir            folder of the backend's state; relative snapshot paths resolve here
 * @param maxGuestMemoryBytes the most guest memory all VMs together may have, {@code > 0}
 */
public record EmuSettings(Path memoryDir, Path stateDir, long maxGuestMemoryBytes) {

    /** The default memory folder when /dev/shm exists. */
    public static final Path SHM_DIR = Path.of("/dev/shm/vmlab-emu");

    public EmuSettings {
        Objects.requireNonNull(memoryDir, "memoryDir");
        Objects.requireNonNull(stateDir, "stateDir");
        if (maxGuestMemoryBytes <= 0) {
            throw new IllegalArgumentException("maxGuestMemoryBytes must be > 0: " + maxGuestMemoryBytes);
        }
        memoryDir = memoryDir.toAbsolutePath().normalize();
        stateDir = stateDir.toAbsolutePath().normalize();
    }

    /**
     * Settings for tests: memory files in {@code dir/memory}, state in {@code dir/state}, the
     * default memory cap.
     */
    public static EmuSettings forTests(Path dir) {
        return new EmuSettings(dir.resolve("memory"), dir.resolve("state"), defaultMaxGuestMemory());
    }

    /**
     * The defaults of a Karaf instance: memory in /dev/shm/vmlab-emu if /dev/shm exists, else
     * {@code karafData/vmlab/emu/memory}; state in {@code karafData/vmlab/emu}; the default cap.
     */
    public static EmuSettings defaults(Path karafData) {
        Path state = karafData.resolve("vmlab").resolve("emu");
        return new EmuSettings(defaultMemoryDir(karafData), state, defaultMaxGuestMemory());
    }

    static Path defaultMemoryDir(Path karafData) {
        return Files.isDirectory(SHM_DIR.getParent()) ? SHM_DIR
                : karafData.resolve("vmlab").resolve("emu").resolve("memory");
    }

    /** 75% of physical RAM (1 GiB if the JVM cannot tell). */
    public static long defaultMaxGuestMemory() {
        long ram = physicalMemory();
        long cap = ram > 0 ? ram / 4 * 3 : 1L << 30;
        return Math.max(4096, cap & ~4095L);
    }

    static long physicalMemory() {
        try {
            OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                return sun.getTotalMemorySize();
            }
        } catch (LinkageError e) {
            // com.sun.management not visible (an OSGi framework without boot delegation for it)
        }
        return -1;
    }
}
