package org.vmlab.experiment.action;

import java.util.List;
import java.util.Map;

import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.Vm;

/** An action on one VM, named by its single {@code vm} setting. */
abstract class OneVmAction implements ExperimentAction {
    private static final List<Parameter> VM_ONLY = List.of(Parameter.text("vm", null, "the spec's name of the VM").asRequired());

    @Override
    public final List<Parameter> parameters() {
        return VM_ONLY;
    }

    @Override
    public final void run(ActionContext context, Map<String, String> settings) {
        run(context, context.vm(settings.get("vm")), settings.get("vm"));
    }

    /**
     * @param name the spec's name of {@code vm}, for messages
     */
    abstract void run(ActionContext context, Vm vm, String name);
}
