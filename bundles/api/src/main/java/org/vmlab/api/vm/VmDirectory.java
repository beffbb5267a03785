package org.vmlab.api.vm;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The VMs of this node across every backend, and VM creation routed to the backend a spec
 * names. What the shell and experiments use, so they never pick backends themselves.
 */
@ProviderType
public interface VmDirectory {

    /** Every VM of every backend, by id. */
    List<Vm> vms();

    Optional<Vm> find(String id);

    /**
     * Creates a VM on the backend {@code spec.backend()} names, or on the default backend when it
     * is null.
     *
     * @throws org.vmlab.api.VmlabException if no such backend is installed, or it refuses the spec
     */
    Vm create(VmSpec spec);

    /** Restores a snapshot on the backend that wrote it, or on the named one. */
    Vm restore(java.nio.file.Path snapshot, String backend);

    /** The {@code vmlab.backend} names installed, the default first. */
    List<String> backends();
}
