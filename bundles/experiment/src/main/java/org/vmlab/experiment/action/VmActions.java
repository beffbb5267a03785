package org.vmlab.experiment.action;

import java.util.List;

import org.vmlab.api.parameter.Parameter;

/** What the one-VM actions share: a single {@code vm} setting. */
final class VmActions {
    static final List<Parameter> VM_ONLY = List.of(Parameter.text("vm", null, "the spec's name of the VM").asRequired());

    private VmActions() {
    }
}
