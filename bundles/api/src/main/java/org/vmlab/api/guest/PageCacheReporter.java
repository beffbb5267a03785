package org.vmlab.api.guest;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A guest that reports its own clean page cache through an agent, where the backend cannot look
 * inside the guest OS otherwise (a QEMU guest running vmlab-agent). Frames index the VM's
 * {@link org.vmlab.api.memory.GuestMemory}; blocks are 4 KiB blocks of the VM's disk image.
 *
 * @since 1.2
 */
@ProviderType
public interface PageCacheReporter {

    /** Why the guest cannot report right now (for example its agent does not answer); empty when it can. */
    Optional<String> unavailableReason();

    /**
     * The clean page-cache pages the guest reports now: each frame whose content equals its disk
     * block. A snapshot; pages written afterwards are the dirty tracking's business.
     *
     * @throws org.vmlab.api.VmlabException if the guest does not answer or answers nonsense
     */
    PageCacheMap cleanPageCache();
}
