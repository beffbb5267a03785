package org.vmlab.api.guest;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** A task submitted to a VM's vCPUs. */
@ProviderType
public interface TaskHandle {

    String name();

    /** True once the task returned false, failed, or was cancelled. */
    boolean isDone();

    /** Stops stepping the task; a step already running completes. */
    void cancel();

    /** What a step threw, if the task ended that way. */
    Optional<Throwable> failure();
}
