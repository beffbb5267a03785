package org.vmlab.cli.server;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "vmlab control socket", description = "The local socket bin/vmlab talks to")
public @interface ControlSocketConfig {

    @AttributeDefinition(description = "Path of the Unix domain socket; empty means ${karaf.data}/vmlab/control.sock. "
            + "Its folder is made readable by the owner only: that is the whole access control.")
    String socket_path() default "";

    @AttributeDefinition(description = "How many commands may run at once")
    int max_concurrent() default 32;

    @AttributeDefinition(description = "How long a command waits, at most, for the instance to finish starting (seconds)")
    int ready_timeout_seconds() default 60;
}
