package org.vmlab.experiment.action;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.vm.PauseResult;
import org.vmlab.api.vm.Vm;

/** {@code pause}: stops a VM's vCPUs; records how long stopping them took. */
@Component(service = ExperimentAction.class, property = {
        "vmlab.name=pause", "vmlab.description=Pauses a VM (all vCPUs); records how long stopping them took"})
public final class PauseAction extends OneVmAction {
    @Override
    void run(ActionContext context, Vm vm, String name) {
        PauseResult r = vm.pause();
        context.mark(context.step());
        context.metric(context.step() + ".pauseMs", r.stopNanos() / 1e6);
    }
}
