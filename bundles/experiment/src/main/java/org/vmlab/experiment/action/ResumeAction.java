package org.vmlab.experiment.action;

import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.parameter.Parameter;

/** {@code resume}: lets a paused VM run again. */
@Component(service = ExperimentAction.class, property = {
        "vmlab.name=resume", "vmlab.description=Resumes a paused VM"})
public final class ResumeAction implements ExperimentAction {
    @Override
    public List<Parameter> parameters() {
        return VmActions.VM_ONLY;
    }

    @Override
    public void run(ActionContext context, Map<String, String> settings) {
        context.vm(settings.get("vm")).resume();
        context.mark(context.step());
    }
}
