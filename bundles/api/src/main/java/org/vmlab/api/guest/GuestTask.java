package org.vmlab.api.guest;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Guest work that runs on the VM's virtual CPUs in short steps. Stepping is what lets the VM
 * stop every vCPU at a consistent point (between steps), throttle them, and later park a task that
 * faults on a page not yet migrated while other tasks keep the vCPU busy.
 */
@ConsumerType
public interface GuestTask {

    /**
     * Runs one short step of guest work (well under a millisecond) on the calling vCPU thread.
     *
     * @return false when the task has finished and should not be stepped again
     */
    boolean step();
}
