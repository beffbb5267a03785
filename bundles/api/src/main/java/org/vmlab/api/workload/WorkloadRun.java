package org.vmlab.api.workload;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One running (or stopped) workload on one VM. Implemented by the workload that started it, so
 * it is a consumer type like {@link Workload}. Thread-safe.
 */
@ConsumerType
public interface WorkloadRun {

    /** The {@code vmlab.name} of the workload. */
    String workload();

    /** The effective parameters, defaults included. */
    Map<String, String> parameters();

    /** One sample per second since the start, oldest first (a snapshot). */
    List<ThroughputSample> samples();

    /** The newest sample; all zero at the start time before the first second has passed. */
    ThroughputSample latest();

    /** The invariant the workload keeps in guest memory, if it keeps one. */
    Optional<MemoryInvariant> invariant();

    /** Stops driving the guest; does nothing if already stopped. */
    void stop();

    boolean isRunning();
}
