package org.vmlab.experiment.run;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** {@code etc/org.vmlab.experiment.cfg}. */
@ObjectClassDefinition(name = "vmlab experiments", description = "Where experiment results are written")
public @interface ExperimentConfig {
    @AttributeDefinition(description = "Folder holding one sub-folder per run id; relative to the instance's home; default results")
    String resultsDir() default "results";
}
