package org.vmlab.api.memory;

import java.nio.ByteBuffer;
import java.time.Duration;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The destination side of postcopy: guest memory in which some pages are still missing. A guest
 * access to a missing page calls the {@link PageFaultHandler} and then waits, as the
 * {@link FaultMode} says, until {@link #fill} installs the page.
 */
@ProviderType
public interface PostcopyMemory {

    /** Marks {@code missing} as not yet arrived; guest accesses to them fault from now on. */
    void begin(PageSet missing, PageFaultHandler handler, FaultMode mode);

    /** Installs a page that arrived, and wakes whatever waits for it. Ignored for pages present. */
    void fill(long pfn, ByteBuffer src);

    boolean isMissing(long pfn);

    long missingCount();

    /**
     * Ends postcopy. With pages still missing (the source was lost) the guest cannot go on:
     * every waiting access fails, and the pages are named in the exception's message.
     *
     * @throws org.vmlab.api.VmlabException if pages are still missing
     */
    void end();

    /** The total time guest tasks spent waiting for faulted pages so far (postcopy blocktime). */
    Duration blockTime();
}
