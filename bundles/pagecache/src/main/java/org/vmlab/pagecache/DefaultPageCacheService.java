package org.vmlab.pagecache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.pagecache.Detection;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.pagecache.PageCacheService;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.vm.Vm;

/** Runs the installed detectors (by {@code vmlab.name}, highest ranking first) and checks each entry against the disk. */
@Component(service = PageCacheService.class)
public final class DefaultPageCacheService implements PageCacheService {

    private record Named(String name, int ranking, PageCacheDetector detector) {
    }

    private final List<Named> detectors = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addDetector(PageCacheDetector detector, Map<String, Object> props) {
        Object name = props.get("vmlab.name");
        Object ranking = props.get("service.ranking");
        add(name == null ? detector.getClass().getSimpleName() : name.toString(),
                ranking instanceof Integer i ? i : 0, detector);
    }

    void removeDetector(PageCacheDetector detector) {
        detectors.removeIf(n -> n.detector() == detector);
    }

    /** Outside OSGi. */
    public void add(String name, int ranking, PageCacheDetector detector) {
        detectors.add(new Named(name, ranking, detector));
    }

    private List<Named> sorted() {
        List<Named> l = new ArrayList<>(detectors);
        l.sort(Comparator.comparingInt(Named::ranking).reversed());
        return l;
    }

    @Override
    public List<String> detectors() {
        return sorted().stream().map(Named::name).toList();
    }

    @Override
    public List<Detection> detectAll(Vm vm) {
        return sorted().stream().map(n -> run(vm, n)).toList();
    }

    @Override
    public Detection detect(Vm vm, String detector) {
        return run(vm, sorted().stream().filter(n -> n.name().equals(detector)).findFirst().orElseThrow(
                () -> new IllegalArgumentException(detectors.isEmpty() ? "no page-cache detector is installed"
                        : "no page-cache detector '" + detector + "'; detectors: " + String.join(", ", detectors()))));
    }

    private static Detection run(Vm vm, Named n) {
        long guest = vm.guestOs().map(os -> (long) os.cleanPageCache().size()).orElse(-1L);
        String why = n.detector().unsupportedReason(vm).orElse(null);
        if (why != null) {
            return new Detection(n.name(), why, PageCacheMap.empty(), 0, guest, 0);
        }
        long t0 = System.nanoTime();
        PageCacheMap map;
        try (PageCacheTracker t = n.detector().track(vm)) {
            map = t.restorable();
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        return new Detection(n.name(), null, map, millis, guest, wrongEntries(vm, map));
    }

    /**
     * Entries whose frame differs from its block on disk now: read through the VM's block device,
     * else its disk image file (a QEMU guest's disk belongs to QEMU); -1 when the host can read neither.
     */
    static long wrongEntries(Vm vm, PageCacheMap map) {
        BlockDevice disk = vm.disk().orElse(null);
        if (disk != null) {
            return countWrong(vm, map, disk.blockCount(), disk::read);
        }
        Path image = vm.spec().diskImage();
        if (image == null || !Files.isReadable(image)) {
            return -1;
        }
        try (FileChannel f = FileChannel.open(image, StandardOpenOption.READ)) {
            return countWrong(vm, map, f.size() / Pages.SIZE, (b, dst) -> {
                try {
                    f.read(dst, b * Pages.SIZE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    private interface BlockReader {
        void read(long block, ByteBuffer dst);
    }

    private static long countWrong(Vm vm, PageCacheMap map, long blocks, BlockReader disk) {
        ByteBuffer frame = ByteBuffer.allocate(Pages.SIZE);
        ByteBuffer block = ByteBuffer.allocate(Pages.SIZE);
        AtomicLong wrong = new AtomicLong();
        map.forEach((pfn, b) -> {
            frame.clear();
            block.clear();
            vm.memory().readPage(pfn, frame);
            if (b >= blocks) {
                wrong.incrementAndGet();
                return;
            }
            disk.read(b, block);
            if (!frame.flip().equals(block.flip())) {
                wrong.incrementAndGet();
            }
        });
        return wrong.get();
    }
}
