package org.vmlab.workloads;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.workload.Workload;

/** An idle guest: no tasks, every sample zero. The family's default. */
@Component(service = Workload.class, property = {
        "vmlab.family=workload",
        "vmlab.name=idle",
        "vmlab.description=an idle guest: runs nothing, every sample is zero",
        "service.ranking:Integer=100"})
public final class IdleWorkload extends AbstractWorkload {

    public static final String NAME = "idle";

    public IdleWorkload() {
        super(NAME, List.of(), (vm, values, effective, header) -> new AbstractRun(NAME, vm, effective) {
            @Override
            protected void startTasks() {
            }
        });
    }

    @Override
    protected boolean needsGuestState() {
        return false;
    }
}
