package org.vmlab.emu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.VmSpec;

/** What to do with a spec's disk image: validated up front, applied by {@link #open()}. */
final class DiskPlan {
    private static final Logger LOG = LoggerFactory.getLogger(DiskPlan.class);

    final Path path;
    final long blocks;
    final boolean create;
    final long oldSize; // >= 0: grow from this size; -1: leave as is
    private boolean created;
    private boolean grown;

    private DiskPlan(Path path, long blocks, boolean create, long oldSize) {
        this.path = path;
        this.blocks = blocks;
        this.create = create;
        this.oldSize = oldSize;
    }

    static DiskPlan of(VmSpec spec, boolean mustExist) {
        Path image = spec.diskImage();
        if (image == null) {
            return new DiskPlan(null, 0, false, -1);
        }
        Path p = image.toAbsolutePath().normalize();
        String vm = "VM '" + spec.name() + "'";
        if (Files.isDirectory(p)) {
            throw new VmlabException("the disk image " + p + " of " + vm + " is a directory");
        }
        if (Files.exists(p)) {
            if (!Files.isRegularFile(p)) {
                throw new VmlabException("the disk image " + p + " of " + vm + " is not a regular file");
            }
            if (!Files.isReadable(p) || !Files.isWritable(p)) {
                throw new VmlabException("the disk image " + p + " of " + vm
                        + " is not readable and writable");
            }
            long size;
            try {
                size = Files.size(p);
            } catch (IOException e) {
                throw new VmlabException("cannot read the size of disk image " + p + " of " + vm + ": " + e, e);
            }
            long bytes = Math.max(size, spec.diskBytes());
            long blocks = (bytes + EmuDisk.BLOCK_SIZE - 1) / EmuDisk.BLOCK_SIZE;
            if (blocks == 0) {
                throw new VmlabException("the disk image " + p + " of " + vm
                        + " is empty; give a disk size to grow it");
            }
            checkBlocks(blocks, p, vm);
            return new DiskPlan(p, blocks, false, spec.diskBytes() > size ? size : -1);
        }
        if (mustExist) {
            throw new VmlabException("the disk image " + p + " of " + vm + " does not exist");
        }
        if (spec.diskBytes() == 0) {
            throw new VmlabException("the disk image " + p + " of " + vm
                    + " does not exist; give a disk size to create it");
        }
        Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new VmlabException("the folder of disk image " + p + " of " + vm + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new VmlabException("cannot create disk image " + p + " of " + vm
                    + ": its folder is not writable");
        }
        long blocks = spec.diskBytes() / EmuDisk.BLOCK_SIZE;
        checkBlocks(blocks, p, vm);
        return new DiskPlan(p, blocks, true, -1);
    }

    private static void checkBlocks(long blocks, Path p, String vm) {
        if (blocks > Integer.MAX_VALUE) {
            throw new VmlabException("the disk image " + p + " of " + vm
                    + " is larger than emu supports (8 TiB)");
        }
    }

    /** Creates or grows the image (sparse) and opens it; null without a disk. */
    EmuDisk open() throws IOException {
        if (path == null) {
            return null;
        }
        long bytes = blocks * EmuDisk.BLOCK_SIZE;
        if (create) {
            Files.createFile(path);
            created = true;
            try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                f.setLength(bytes);
            }
        } else if (oldSize >= 0) {
            try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                f.setLength(bytes);
            }
            grown = true;
        }
        return EmuDisk.open(path, blocks);
    }

    /** Deletes an image this plan created, or shrinks one it grew back; idempotent. */
    void undo() {
        try {
            if (created) {
                Files.deleteIfExists(path);
                created = false;
            } else if (grown) {
                try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                    f.setLength(oldSize);
                }
                grown = false;
            }
        } catch (IOException e) {
            LOG.warn("cannot undo the disk image {}: {}", path, e.toString());
        }
    }
}
