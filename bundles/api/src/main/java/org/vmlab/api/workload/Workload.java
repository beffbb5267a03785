package org.vmlab.api.workload;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.Vm;

/**
 * A kind of guest workload. Registered with {@code vmlab.family=workload} and a unique
 * {@code vmlab.name}; a VM spec names the workload its backend starts.
 */
@ConsumerType
public interface Workload {

    /**
     * The parameters {@link #start} accepts, described for help, completion and the shared
     * validator ({@link org.vmlab.api.parameter.ParameterSet}).
     */
    List<Parameter> parameters();

    /**
     * Starts driving {@code vm} and returns at once.
     *
     * @param parameters values by {@link Parameter#name()}; missing ones take their default
     * @throws IllegalArgumentException naming the parameter, if one is unknown, missing or bad
     */
    WorkloadRun start(Vm vm, Map<String, String> parameters);

    /**
     * Continues a run whose state lives in {@code vm}'s memory, after the VM was migrated or
     * restored from a snapshot: the workload keeps its state in the guest, as a real program
     * does, so nothing but guest memory needs to move.
     *
     * @throws org.vmlab.api.VmlabException if the memory holds no state of this workload
     */
    WorkloadRun resume(Vm vm, Map<String, String> parameters);
}
