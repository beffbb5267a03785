package org.vmlab.api.vm;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Checks a VM's memory: the invariant its workload keeps, and a digest of the whole memory that
 * two VMs (a migration's source at the pause and its destination) can be compared by.
 */
@ProviderType
public interface VmVerifier {

    /**
     * Verifies {@code vm}. A running VM is paused for the check and resumed after, so the scan
     * sees one consistent stop point.
     */
    VerificationReport verify(Vm vm);
}
