package org.vmlab.api.pagecache;

import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.vm.Vm;

/**
 * Finds restorable page cache in a VM. Registered with {@code vmlab.family=pagecache} and a unique
 * {@code vmlab.name}; a migration plan names the detector to use.
 */
@ConsumerType
public interface PageCacheDetector {

    /**
     * Empty when this detector can track {@code vm}; otherwise one sentence saying why not (e.g.
     * "the VM has no disk", "the backend cannot introspect the guest OS").
     */
    Optional<String> unsupportedReason(Vm vm);

    /**
     * Starts tracking {@code vm}'s page cache until the tracker is closed.
     *
     * @throws org.vmlab.api.VmlabException if {@link #unsupportedReason(Vm)} is not empty
     */
    PageCacheTracker track(Vm vm);
}
