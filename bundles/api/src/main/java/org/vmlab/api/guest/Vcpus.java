package org.vmlab.api.guest;

import org.osgi.annotation.versioning.ProviderType;

/** The virtual CPUs of one VM: a fixed set of threads that step {@link GuestTask}s. */
@ProviderType
public interface Vcpus {

    /** The number of vCPUs. */
    int count();

    /**
     * Schedules a task on the vCPUs; tasks are spread over them and stepped round-robin. A task
     * whose step throws ends, and its failure is kept in its handle.
     */
    TaskHandle submit(String name, GuestTask task);
}
