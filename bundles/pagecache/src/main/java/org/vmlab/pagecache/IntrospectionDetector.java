package org.vmlab.pagecache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.IntStream;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.vm.Vm;

/**
 * No guest help: the host scans the guest's memory and its disk image and matches frames to
 * blocks by content (XXH64 of each 4 KiB, the hash guest memory uses), so every entry it returns
 * held its block's bytes when scanned. Nothing runs while the guest runs; the mapping time is a
 * binary scan of memory and disk, the big migration overhead of the introspection row of
 * CLOUD'14's comparison. It reads no guest-kernel structures (emu keeps its page-cache books in
 * Java, not in guest frames, and the QEMU kernel-offset route is not built), so it also finds
 * anonymous pages that happen to equal a disk block, which are just as restorable.
 */
@Component(service = PageCacheDetector.class, property = {
        "vmlab.family=pagecache",
        "vmlab.name=" + IntrospectionDetector.NAME,
        "vmlab.description=The host scans guest memory and the disk image and matches frames to blocks by content; no guest help",
        "service.ranking:Integer=10"})
public final class IntrospectionDetector implements PageCacheDetector {
    public static final String NAME = "introspection";
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();
    private static final long ZERO_HASH = XXH64.hash(new byte[Pages.SIZE], 0, Pages.SIZE, 0);
    /** Blocks one scan task reads at once (4 MiB). */
    private static final int CHUNK_BLOCKS = 1024;

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (vm.disk().isEmpty() || vm.disk().get().path().isEmpty()) {
            return Optional.of("the VM has no disk image the host can read");
        }
        if (vm.memory().pageCount() > Integer.MAX_VALUE) {
            return Optional.of("introspection supports at most 2^31 pages");
        }
        return Optional.empty();
    }

    @Override
    public PageCacheTracker track(Vm vm) {
        unsupportedReason(vm).ifPresent(why -> {
            throw new VmlabException(NAME + " cannot track VM '" + vm.id() + "': " + why);
        });
        Path image = vm.disk().get().path().get();
        long diskBlocks = vm.disk().get().blockCount();
        GuestMemory memory = vm.memory();
        return new PageCacheTracker() {
            @Override
            public PageCacheMap restorable() {
                return scan(memory, image, diskBlocks);
            }

            @Override
            public boolean isRestorable(long pfn, long block) {
                return blockHash(image, block) == memory.pageHash(pfn);
            }

            @Override
            public void close() {
                // a scan installs nothing
            }
        };
    }

    /** Frames whose content equals some non-zero block of the image. */
    static PageCacheMap scan(GuestMemory memory, Path image, long diskBlocks) {
        BlockIndex index = indexDisk(image, diskBlocks);
        int pages = Math.toIntExact(memory.pageCount());
        long[] blockOf = new long[pages];
        IntStream.range(0, pages).parallel().forEach(pfn -> {
            long h = memory.pageHash(pfn);
            blockOf[pfn] = h == ZERO_HASH ? -1 : index.get(h);
        });
        int n = (int) Arrays.stream(blockOf).filter(b -> b >= 0).count();
        long[] pfns = new long[n];
        long[] blocks = new long[n];
        int i = 0;
        for (int pfn = 0; pfn < pages; pfn++) {
            if (blockOf[pfn] >= 0) {
                pfns[i] = pfn;
                blocks[i++] = blockOf[pfn];
            }
        }
        return PageCacheMap.of(pfns, blocks);
    }

    /** Hashes every block of the image in parallel, large reads; zero blocks are left out. */
    private static BlockIndex indexDisk(Path image, long diskBlocks) {
        int chunks = (int) ((diskBlocks + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS);
        long[] hashes = new long[Math.toIntExact(diskBlocks)];
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            IntStream.range(0, chunks).parallel().forEach(c -> {
                long first = (long) c * CHUNK_BLOCKS;
                int n = (int) Math.min(CHUNK_BLOCKS, diskBlocks - first);
                ByteBuffer buf = ByteBuffer.allocateDirect(n * Pages.SIZE);
                try {
                    while (buf.hasRemaining()) {
                        if (ch.read(buf, first * Pages.SIZE + buf.position()) < 0) {
                            break; // past the end of a sparse image: zeros
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                for (int i = 0; i < n; i++) {
                    hashes[(int) first + i] = XXH64.hash(buf, i * Pages.SIZE, Pages.SIZE, 0);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            throw new VmlabException("cannot read disk image " + image + ": " + e.getMessage(), e);
        }
        long nonZero = Arrays.stream(hashes).filter(h -> h != ZERO_HASH).count();
        BlockIndex index = new BlockIndex(nonZero);
        for (int b = 0; b < hashes.length; b++) {
            if (hashes[b] != ZERO_HASH) {
                index.put(hashes[b], b);
            }
        }
        return index;
    }

    private static long blockHash(Path image, long block) {
        ByteBuffer buf = ByteBuffer.allocate(Pages.SIZE);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            while (buf.hasRemaining() && ch.read(buf, block * Pages.SIZE + buf.position()) >= 0) {
                // read on
            }
        } catch (IOException e) {
            throw new VmlabException("cannot read block " + block + " of " + image + ": " + e.getMessage(), e);
        }
        return XXH64.hash(buf.array(), 0, Pages.SIZE, 0);
    }
}
