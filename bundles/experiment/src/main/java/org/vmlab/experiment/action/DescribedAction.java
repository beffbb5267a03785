package org.vmlab.experiment.action;

import java.util.List;

import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.parameter.Parameter;

/** An action whose settings are a fixed list, described once. */
abstract class DescribedAction implements ExperimentAction {
    private final List<Parameter> parameters;

    DescribedAction(List<Parameter> parameters) {
        this.parameters = List.copyOf(parameters);
    }

    @Override
    public final List<Parameter> parameters() {
        return parameters;
    }
}
