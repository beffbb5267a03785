package org.vmlab.shell.support;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.provider.Family;

/** Completes the names of the installed workloads. */
@Service
public class WorkloadCompleter extends ProviderCompleter {
    public WorkloadCompleter() {
        super(Family.WORKLOAD);
    }
}
