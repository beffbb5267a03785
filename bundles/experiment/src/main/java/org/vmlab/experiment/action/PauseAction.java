package org.vmlab.experiment.action;

import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.PauseResult;

/** {@code pause}: stops a VM's vCPUs; records how long stopping them took. */
@Component(service = ExperimentAction.class, property = {
        "vmlab.name=pause", "vmlab.description=Pauses a VM (all vCPUs); records how long stopping them took"})
public final class PauseAction implements ExperimentAction {
    @Override
    public List<Parameter> parameters() {
        return VmActions.VM_ONLY;
    }

    @Override
    public void run(ActionContext context, Map<String, String> settings) {
        PauseResult r = context.vm(settings.get("vm")).pause();
        context.mark(context.step());
        context.metric(context.step() + ".pauseMs", r.stopNanos() / 1e6);
    }
}
