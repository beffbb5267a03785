package org.vmlab.api.vm;

/** The lifecycle state of a {@link Vm}. */
public enum VmState {
    /** Exists but has never run (e.g. just restored, not yet resumed). */
    CREATED,
    /** Its vCPUs run. */
    RUNNING,
    /** Its vCPUs are stopped; memory and devices are kept. */
    PAUSED,
    /**
     * The source or destination of a migration that has not ended yet, whether or not its vCPUs
     * run (see {@link Vm#beginMigration()}).
     */
    MIGRATING,
    /** Destroyed; nothing of it is left but this object. */
    STOPPED,
    /** Broken by an error; only {@link Vm#destroy()} is still useful. */
    FAILED;

    /** Whether the VM can never run again (stopped or failed). */
    public boolean isFinal() {
        return this == STOPPED || this == FAILED;
    }
}
