package org.vmlab.emu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.backend.support.config.BackendConfig;

/**
 * Where an {@link EmuBackend} keeps its files and how much guest memory it may hand out.
 *
 * @param memoryDir           folder of the guest memory files (best on a tmpfs like /dev/shm)
 * @param stateDir            folder of the backend's state; relative snapshot paths resolve here
 * @param maxGuestMemoryBytes the most guest memory all VMs together may have, {@code > 0}
 */
public record EmuSettings(Path memoryDir, Path stateDir, long maxGuestMemoryBytes) {
    private static final Logger LOG = LoggerFactory.getLogger(EmuSettings.class);

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

    /** The settings of a configuration; a blank setting takes the default of {@link #defaults}. */
    static EmuSettings of(EmuBackend.Config config, Path karafData) {
        EmuSettings d = defaults(karafData);
        return new EmuSettings(
                BackendConfig.blank(config.memoryDir()) ? d.memoryDir() : Path.of(config.memoryDir().trim()),
                BackendConfig.blank(config.stateDir()) ? d.stateDir() : Path.of(config.stateDir().trim()),
                BackendConfig.size(config.maxGuestMemory(), d.maxGuestMemoryBytes(), "org.vmlab.emu maxGuestMemory",
                        LOG));
    }

    static Path defaultMemoryDir(Path karafData) {
        return Files.isDirectory(SHM_DIR.getParent()) ? SHM_DIR
                : karafData.resolve("vmlab").resolve("emu").resolve("memory");
    }

    /** 75% of physical RAM (1 GiB if the JVM cannot tell). */
    public static long defaultMaxGuestMemory() {
        long ram = BackendConfig.physicalMemory();
        long cap = ram > 0 ? ram / 4 * 3 : 1L << 30;
        return Math.max(4096, cap & ~4095L);
    }
}
