package org.vmlab.api.experiment;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;

/**
 * Something a spec step can do, registered as a service with a unique {@code vmlab.name} (the
 * step's key, e.g. {@code migrate}) and a one-line {@code vmlab.description}. The experiment
 * bundle has the basic ones; each capability bundle adds its own (storage operations, tier
 * changes, job operations), so a spec can use it as soon as the bundle is installed.
 */
@ConsumerType
public interface ExperimentAction {

    /** The settings a step gives this action; help and the default {@link #check} use them. */
    List<Parameter> parameters();

    /**
     * Checks a step's settings before anything runs, against what is installed now. Nested maps
     * in the spec arrive flattened with dots ({@code options.fault-mode}).
     *
     * @param name   this action's {@code vmlab.name}, for messages
     * @throws IllegalArgumentException one sentence naming the setting in quotes
     */
    default void check(String name, Map<String, String> settings) {
        ParameterSet.options("action '" + name + "'", parameters()).validate(settings);
    }

    /**
     * Does the step. Blocks until it is done; an interrupt means the experiment is stopping and
     * the action should end promptly, leaving no process or VM of its own behind.
     *
     * @throws Exception any failure; its message becomes the run's failure reason
     */
    void run(ActionContext context, Map<String, String> settings) throws Exception;
}
