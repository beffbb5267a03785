package org.vmlab.api.workload;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.memory.GuestMemory;

/**
 * A property the workload keeps true in guest memory at every consistent stop (e.g. every page
 * carries a checksum of its own content and a step counter), so a migrated guest can be checked
 * without the source. Implemented by the workload, hence a consumer type.
 */
@ConsumerType
public interface MemoryInvariant {

    /**
     * Checks {@code memory}, which must not change meanwhile (a paused VM, or a destination before
     * it resumes). Reports, does not throw, when the invariant is broken.
     */
    InvariantResult check(GuestMemory memory);
}
