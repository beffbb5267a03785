package org.vmlab.api.vm;

import org.osgi.annotation.versioning.ConsumerType;

/** Told when a VM changes state, e.g. to refresh a shell view or stop a run when its VM fails. */
@ConsumerType
@FunctionalInterface
public interface VmStateListener {

    /**
     * Called after the change, on the thread that made it; must return quickly and must not call
     * back into the VM's lifecycle methods. Exceptions it throws are logged and ignored.
     */
    void stateChanged(Vm vm, VmState from, VmState to);
}
