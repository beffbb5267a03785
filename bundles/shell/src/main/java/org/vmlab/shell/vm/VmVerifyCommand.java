package org.vmlab.shell.vm;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.VerificationReport;
import org.vmlab.api.vm.VmVerifier;
import org.vmlab.shell.support.VmViews;

@Service
@Command(scope = "vm", name = "verify", description = "Checks a VM's memory: its workload's invariant and a digest of every page. "
        + "Fails, naming the first bad pages, if the invariant does not hold.")
public class VmVerifyCommand extends OneVmAction {

    @Reference
    VmVerifier verifier;

    @Override
    void execute(Vm vm) {
        VerificationReport r = verifier.verify(vm);
        String invariant = r.invariant().map(i -> i.holds()
                ? "invariant holds over " + i.pagesChecked() + " pages (" + i.steps() + " steps)"
                : "invariant FAILS: " + i.detail()).orElse("no invariant (the workload keeps none)");
        print(VmViews.verification(r), String.format("%s: %s; digest %016x over %d pages (%d zero); paused %d ms",
                r.vmId(), invariant, r.digest(), r.pages(), r.zeroPages(), r.pausedMs()));
        if (!r.passed()) {
            throw new VmlabException("verification of " + r.vmId() + " failed; first bad pages " + r.firstBadPages());
        }
    }
}
