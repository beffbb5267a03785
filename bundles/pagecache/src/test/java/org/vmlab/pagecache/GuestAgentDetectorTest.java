package org.vmlab.pagecache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.guest.PageCacheReporter;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.vm.Vm;

/** guest-agent on a VM without guest OS introspection (a QEMU guest): it asks the guest's reporter. */
class GuestAgentDetectorTest {
    private final GuestAgentDetector detector = new GuestAgentDetector();

    /** A VM of backend {@code qemu} whose only page-cache view is {@code reporter}. */
    private static Vm vm(Optional<PageCacheReporter> reporter) {
        return (Vm) Proxy.newProxyInstance(Vm.class.getClassLoader(), new Class<?>[] {Vm.class}, (p, m, a) ->
                switch (m.getName()) {
                    case "id" -> "q1";
                    case "backend" -> "qemu";
                    case "guestOs", "disk" -> Optional.empty();
                    case "pageCacheReporter" -> reporter;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private static PageCacheReporter reporter(Optional<String> why, PageCacheMap map, AtomicInteger asked) {
        return new PageCacheReporter() {
            @Override
            public Optional<String> unavailableReason() {
                return why;
            }

            @Override
            public PageCacheMap cleanPageCache() {
                asked.incrementAndGet();
                return map;
            }
        };
    }

    @Test
    void theGuestsReportIsTheMap() {
        PageCacheMap map = PageCacheMap.of(new long[] {7, 3}, new long[] {100, 42});
        AtomicInteger asked = new AtomicInteger();
        Vm vm = vm(Optional.of(reporter(Optional.empty(), map, asked)));
        assertEquals(Optional.empty(), detector.unsupportedReason(vm));
        try (PageCacheTracker t = detector.track(vm)) {
            assertEquals(map, t.restorable());
            assertTrue(t.isRestorable(3, 42));
            assertFalse(t.isRestorable(3, 43), "another block");
            assertFalse(t.isRestorable(8, 100), "an unmapped frame");
            assertEquals(1, asked.get(), "isRestorable answers from the latest map: the guest may be paused");
        }
    }

    @Test
    void aSilentAgentOrNoneIsSaidInOneSentence() {
        Vm silent = vm(Optional.of(reporter(Optional.of("vmlab-agent in the guest does not answer (timeout)"),
                PageCacheMap.empty(), new AtomicInteger())));
        assertEquals(Optional.of("vmlab-agent in the guest does not answer (timeout)"), detector.unsupportedReason(silent));
        VmlabException e = assertThrows(VmlabException.class, () -> detector.track(silent));
        assertTrue(e.getMessage().startsWith("guest-agent cannot track VM 'q1': vmlab-agent"), e.getMessage());

        Optional<String> none = detector.unsupportedReason(vm(Optional.empty()));
        assertTrue(none.orElseThrow().contains("'qemu' backend has no guest agent"), none.toString());
    }
}
