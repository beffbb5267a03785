package org.vmlab.experiment.action;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.vm.VerificationReport;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmVerifier;

/** {@code verify}: checks a VM's workload invariant; the run fails if it does not hold. */
@Component(service = ExperimentAction.class, property = {
        "vmlab.name=verify", "vmlab.description=Checks a VM's memory (workload invariant); fails the run if it does not hold"})
public final class VerifyAction extends OneVmAction {
    private final VmVerifier verifier;

    @Activate
    public VerifyAction(@Reference VmVerifier verifier) {
        this.verifier = verifier;
    }

    @Override
    void run(ActionContext context, Vm vm, String name) {
        VerificationReport r = verifier.verify(vm);
        context.metric(context.step() + ".passed", r.passed() ? 1 : 0);
        if (!r.passed()) {
            throw new VmlabException("VM " + name + " failed verification; first bad pages: " + r.firstBadPages());
        }
    }
}
