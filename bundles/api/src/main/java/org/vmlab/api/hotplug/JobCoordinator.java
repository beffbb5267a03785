package org.vmlab.api.hotplug;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Migrates, checkpoints and restarts the VMs of a job (e.g. the ranks of an MPI job) together,
 * SymVirt-style: every guest agent holds its rank at one barrier with no message in flight, the
 * pass-through devices are detached, the VMM work is done for all VMs, the devices come back and
 * the ranks go on. A failure before the VMM work (an agent that does not answer in time, a device
 * that does not detach) undoes what was done and leaves the job running as it was; every failure
 * is a {@link org.vmlab.api.VmlabException} with one sentence. Progress goes to {@code progress}
 * as each phase ends.
 *
 * @since 1.1
 */
@ProviderType
public interface JobCoordinator {

    JobReport migrate(JobMigrationPlan plan, Consumer<JobPhase> progress);

    /** Writes a consistent checkpoint of every VM into {@code dir}, which {@link #restart} reads. */
    JobReport checkpoint(List<String> vms, Path dir, Duration timeout, Consumer<JobPhase> progress);

    /**
     * Restores every VM of the checkpoint in {@code dir} on this node (replacing VMs of the same
     * names, e.g. the survivors of a failed job), attaches their pass-through devices and runs
     * them from the checkpoint.
     */
    JobReport restart(Path dir, Duration timeout, Consumer<JobPhase> progress);

    /**
     * Detaches one device of one VM through the {@link DeviceHotplug} that handles the VM (its
     * guest agent, if any, releasing the device first).
     *
     * @return the device detached, to attach again later
     * @throws IllegalArgumentException if there is no such VM or device
     */
    org.vmlab.api.vm.DeviceSpec detach(String vmId, String deviceId, Duration timeout);

    /**
     * Attaches a device to one VM through the {@link DeviceHotplug} that handles the VM.
     *
     * @throws IllegalArgumentException if there is no such VM, or it has a device of that id
     */
    void attach(String vmId, org.vmlab.api.vm.DeviceSpec device, Duration timeout);
}
