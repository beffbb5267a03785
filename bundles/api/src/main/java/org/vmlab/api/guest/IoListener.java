package org.vmlab.api.guest;

import org.osgi.annotation.versioning.ConsumerType;

/** Observes the guest's page-cache I/O, e.g. to keep a page-cache map valid while the guest runs. */
@ConsumerType
@FunctionalInterface
public interface IoListener {

    /**
     * Called synchronously on the guest's I/O path, possibly from several vCPU threads at once:
     * it must be cheap, thread-safe and must not block. Exceptions it throws are logged and the
     * listener is removed.
     */
    void onIo(IoEvent event);
}
