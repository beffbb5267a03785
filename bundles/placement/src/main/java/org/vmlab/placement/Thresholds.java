package org.vmlab.placement;

import org.vmlab.api.parameter.Parameter;

/** The options the packing policies share. */
final class Thresholds {
    static final String CPU = "cpu-threshold";
    static final String MEMORY = "memory-threshold";

    private Thresholds() {
    }

    static Parameter cpu(String def, String why) {
        return Parameter.decimal(CPU, def, 0, 1, "share of a node's CPUs its VMs may keep busy" + why);
    }

    static Parameter memory(String def) {
        return Parameter.decimal(MEMORY, def, 0.01, 1, "share of a node's memory its VMs may take");
    }
}
