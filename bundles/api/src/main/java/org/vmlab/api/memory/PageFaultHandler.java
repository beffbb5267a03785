package org.vmlab.api.memory;

import org.osgi.annotation.versioning.ConsumerType;

/** Told when the guest first touches a page that has not arrived; the postcopy engine's hook. */
@ConsumerType
public interface PageFaultHandler {

    /**
     * Page {@code pfn} is wanted now: request it from the source ahead of the background push.
     * Called on the faulting vCPU thread, once per page until it arrives; must not block.
     */
    void onFault(long pfn);
}
