package org.vmlab.api.workload;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.vm.Vm;

/**
 * A kind of guest workload. Registered with {@code vmlab.family=workload} and a unique
 * {@code vmlab.name}; a VM spec names the workload its backend starts.
 */
@ConsumerType
public interface Workload {

    /** The parameters {@link #start} accepts. */
    List<ParameterInfo> parameters();

    /**
     * Starts driving {@code vm} and returns at once.
     *
     * @param parameters values by {@link ParameterInfo#name()}; missing ones take their default
     * @throws IllegalArgumentException naming the parameter, if one is unknown, missing or bad
     */
    WorkloadRun start(Vm vm, Map<String, String> parameters);
}
