package org.vmlab.experiment.action;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.vm.Vm;

/** {@code resume}: lets a paused VM run again. */
@Component(service = ExperimentAction.class, property = {
        "vmlab.name=resume", "vmlab.description=Resumes a paused VM"})
public final class ResumeAction extends OneVmAction {
    @Override
    void run(ActionContext context, Vm vm, String name) {
        vm.resume();
        context.mark(context.step());
    }
}
