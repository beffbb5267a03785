package org.vmlab.dashboard;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** {@code etc/org.vmlab.dashboard.cfg}. The HTTP port and address are Pax Web's ({@code etc/org.ops4j.pax.web.cfg}). */
@ObjectClassDefinition(name = "vmlab dashboard", description = "Who may open the dashboard")
public @interface DashboardConfig {
    @AttributeDefinition(description = "Answer requests from other hosts too; only over TLS (Pax Web's secure connector) and with the password in passwordFile")
    boolean allowRemote() default false;

    @AttributeDefinition(description = "File holding the password remote users give (user 'vmlab', HTTP Basic over TLS); must be readable by its owner only")
    String passwordFile() default "";
}
