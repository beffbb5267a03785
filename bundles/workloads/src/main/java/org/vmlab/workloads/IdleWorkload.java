package org.vmlab.workloads;

import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.vmlab.api.vm.Vm;
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
        super(NAME, List.of());
    }

    @Deactivate
    void deactivate() {
        stopAll();
    }

    @Override
    protected boolean needsGuestState() {
        return false;
    }

    @Override
    protected AbstractRun createRun(Vm vm, Param.Values values, Map<String, String> effective,
                                    GuestHeader header) {
        return new AbstractRun(NAME, vm, effective) {
            @Override
            protected void startTasks() {
            }
        };
    }
}
